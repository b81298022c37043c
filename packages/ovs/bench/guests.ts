// Benchmark: ping round trip and TCP throughput between two tiny guests
// (QEMU TCG) on one VLAN of a private OVS (userspace datapath). TCG bounds
// both figures; they record what this machine gives, not OVS's limit.
// Run: node --import tsx packages/ovs/bench/guests.ts
import { createOvsSwitch } from '../src/index.js';
import { guestImage, startGuest } from '../test/guest.js';
import { startOvsHost } from '../test/hosts.js';

const MB = 32;

const img = await guestImage();
await using host = await startOvsHost('mmbg');
const sw = createOvsSwitch({ env: host.ovs.env, netns: host.netns.name, datapath: 'netdev' });
await sw.check();
await sw.ensureBridge('mmbg');
await sw.createTaps([
  { bridge: 'mmbg', name: 'mmbg_t1', vlan: 10 },
  { bridge: 'mmbg', name: 'mmbg_t2', vlan: 10 },
]);
const common = { ...img, netns: host.netns.name };
await using g1 = await startGuest({
  ...common,
  tap: 'mmbg_t1',
  ip: '10.79.0.1/24',
  name: 'g1',
  mac: '52:54:00:79:00:01',
});
await using g2 = await startGuest({
  ...common,
  tap: 'mmbg_t2',
  ip: '10.79.0.2/24',
  name: 'g2',
  mac: '52:54:00:79:00:02',
});

await g1.run('ping -c 2 -W 1 10.79.0.2'); // warm up ARP and MAC learning
const p = await g1.run('ping -c 20 -i 0.2 10.79.0.2', 60_000);
const rtt = /min\/avg\/max = ([\d.]+)\/([\d.]+)\/([\d.]+)/.exec(p.out);

// the listener's stdin must stay open: busybox nc hangs up when its stdin ends
await g2.run('(sleep 3600 | nc -l -p 5001 > /tmp/rx &)');
await new Promise((r) => setTimeout(r, 500));
// timed on the host from the first byte sent until the receiver holds them all
const bytes = MB * 1024 * 1024;
const t0 = performance.now();
const x = await g1.run(
  `dd if=/dev/zero bs=64k count=${MB * 16} 2>/dev/null | nc 10.79.0.2 5001`,
  300_000,
);
const done = await g2.run(
  `i=0; while [ $(wc -c < /tmp/rx) -lt ${bytes} ] && [ $i -lt 600 ]; do usleep 50000; i=$((i+1)); done; wc -c < /tmp/rx`,
  60_000,
);
const secs = (performance.now() - t0) / 1000;
const got = Number(/(\d+)\s*$/.exec(done.out.trim())?.[1] ?? Number.NaN);

console.log('guests                 2 x QEMU TCG, virtio-net, one VLAN, OVS netdev datapath');
console.log(
  `ping rtt (20 pings)    min/avg/max ${rtt ? `${rtt[1]}/${rtt[2]}/${rtt[3]} ms` : `n/a: ${p.out}`}`,
);
console.log(
  `tcp throughput         ${MB} MiB in ${secs.toFixed(2)} s = ${((MB * 8) / secs).toFixed(1)} Mbit/s` +
    (x.rc === 0 && got === bytes ? '' : ` (incomplete: ${got} of ${bytes} bytes arrived)`),
);
