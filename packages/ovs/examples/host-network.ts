// Run: node --import tsx packages/ovs/examples/host-network.ts
// A host's networking state (the HostNetwork contract) on the fake switch:
// VLAN aliases per namespace, VM taps made in one batch, a host tap, qos, a
// mirror, the state files, and a teardown that leaves nothing.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeSwitch, createHostNetwork } from '../src/index.js';

const base = await mkdtemp(join(tmpdir(), 'hostnet-example-'));
const sw = createFakeSwitch(); // or createSwitchProvider({ base, embedded: true, datapath: 'auto', log })
const net = createHostNetwork({
  switch: sw,
  baseDir: base,
  vlanRange: { min: 101, max: 200 },
  onAliasCreated: (a, vlan) => console.log(`new alias ${a.namespace}//${a.value} = ${vlan}`),
});

const dmz = net.resolveVlan('lab', 'DMZ'); // allocates 101
// a `vm launch` of two VMs: both taps in one switch batch
const [t0, t1] = await Promise.all(
  ['web', 'db'].map((vm) =>
    net.createTap({ namespace: 'lab', vm, bridge: '', vlan: dmz, mac: '' }),
  ),
);
const host = await net.createHostTap({ namespace: 'lab', vlan: 'DMZ', ip: '10.0.0.1/24' });
await net.setQos(t0!, { kind: 'netem', loss: 5 });
await net.setQos(t0!, { kind: 'netem', delay: '100ms' }); // merges with the loss
await net.addMirror({ namespace: 'lab', src: t1!, dst: host, bridge: '' });

for (const [vm, taps] of net.vmTaps('lab'))
  console.log(
    vm,
    taps
      .map((t) => `${t.name} ${net.printVlan('lab', t.vlan)} [${net.tapQos(t.name) ?? ''}]`)
      .join(' '),
  );
console.log((await readFile(join(base, 'taps'), 'utf8')).trim());

await net.close(); // every tap, mirror and bridge it made is gone
console.log('bridges left:', (await sw.bridges()).length);
await rm(base, { recursive: true });
