// A runnable tour of @mm/ovs on the in-memory fake switch (no root, no OVS):
//   node --import tsx packages/ovs/examples/basic.ts
// Swap createFakeSwitch() for createOvsSwitch({ env: ovs.env }) with a
// private OVS from startPrivateOvs() to do the same on real Open vSwitch.
import { createFakeSwitch, VlanTable } from '../src/index.js';

const vlans = new VlanTable({ defaultRange: { min: 101, max: 4096 } });
const dmz = vlans.lookup('minimega', 'DMZ').vlan; // allocates 101
const lan = vlans.lookup('minimega', 'LAN').vlan; // 102

const sw = createFakeSwitch();
await sw.check();
await sw.ensureBridge('mega_bridge');
await sw.createTaps([
  { bridge: 'mega_bridge', name: 'mega_tap0', vlan: dmz },
  { bridge: 'mega_bridge', name: 'mega_tap1', vlan: lan },
]);
await sw.addTunnel({
  bridge: 'mega_bridge',
  name: 'mega_tap2',
  type: 'vxlan',
  remoteIp: '10.0.0.2',
  key: 7,
});
await sw.setQos('mega_tap0', { kind: 'rate', rate: 10, unit: 'mbit' });

const info = await sw.bridge('mega_bridge');
for (const p of info?.ports ?? []) {
  const vlan = p.tag === undefined ? 'trunk' : vlans.print('minimega', p.tag);
  console.log(`${p.name.padEnd(10)} ${p.kind.padEnd(6)} ${vlan}`);
}
console.log(`qdisc on mega_tap0: ${await sw.qdisc('mega_tap0')}`);
await sw.deleteTaps([
  { bridge: 'mega_bridge', name: 'mega_tap0' },
  { bridge: 'mega_bridge', name: 'mega_tap1' },
]);
await sw.deleteBridge('mega_bridge');
