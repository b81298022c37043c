// Benchmark: create and delete 250 VM taps on a private OVS (userspace
// datapath) in a throwaway network namespace. minimega's original took ~90 s
// to delete 250 taps one by one; the target here is <= 10 s for both.
// Run: node --import tsx packages/ovs/bench/taps.ts [count]
import { createOvsSwitch, type TapSpec } from '../src/index.js';
import { startOvsHost } from '../test/hosts.js';

const count = Number(process.argv[2] ?? 250);
const oneByOne = 20;

await using host = await startOvsHost('mmbench');
const sw = createOvsSwitch({ env: host.ovs.env, netns: host.netns.name, datapath: 'netdev' });
await sw.ensureBridge('mmbench');
const taps: TapSpec[] = Array.from({ length: count }, (_, i) => ({
  bridge: 'mmbench',
  name: `mmb${i}`,
  vlan: 100 + (i % 50),
}));

const t0 = performance.now();
await sw.createTaps(taps);
const t1 = performance.now();
const ports = (await sw.bridge('mmbench'))?.ports.length ?? 0;
const t2 = performance.now();
await sw.deleteTaps(taps);
const t3 = performance.now();

// the unbatched way (one ip + one ovs-vsctl per tap), on a few taps, for comparison
const few = taps.slice(0, oneByOne).map((t) => ({ ...t, name: `mmo${t.name}` }));
const t4 = performance.now();
for (const t of few) await sw.createTaps([t]);
for (const t of few) await sw.deleteTaps([t]);
const t5 = performance.now();

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
console.log(`datapath                      netdev (private OVS in netns ${host.netns.name})`);
console.log(`create ${count} taps (batched)      ${s(t1 - t0)}  (${ports} ports on the bridge)`);
console.log(`delete ${count} taps (batched)      ${s(t3 - t2)}`);
console.log(`create+delete ${count} (batched)    ${s(t1 - t0 + (t3 - t2))}  target <= 10 s`);
console.log(
  `one by one, per tap            ${((t5 - t4) / oneByOne).toFixed(0)} ms create+delete ` +
    `(=> ${s(((t5 - t4) / oneByOne) * count)} for ${count})`,
);
