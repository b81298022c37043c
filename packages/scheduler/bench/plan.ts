// Prints how long plan() takes on big inputs (figures only, nothing asserted).
// Run: pnpm exec tsx --conditions=source bench/plan.ts
import { performance } from 'node:perf_hooks';
import { type HostLoad, type Policy, plan, type QueuedVm } from '@mm/scheduler';

function hosts(n: number): HostLoad[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `node${i}`,
    cpus: 8 + (i % 4) * 8,
    memTotal: 32768 + (i % 3) * 32768,
    vms: i % 5,
    cpuCommit: i % 7,
    memCommit: (i % 11) * 1024,
    netCommit: i % 3,
  }));
}

/** 100,000 VMs as a realistic queue: big batches, a few pins, coschedule and colocate pairs. */
function queue(vmCount: number, hostCount: number): QueuedVm[] {
  const q: QueuedVm[] = [];
  let n = 0;
  const name = () => `vm${n++}`;
  while (n < vmCount) {
    const k = q.length;
    if (k % 50 === 1)
      q.push({
        names: [name()],
        vcpus: 2,
        memory: 2048,
        nics: 1,
        schedule: `node${k % hostCount}`,
      });
    else if (k % 50 === 2)
      q.push({ names: [name()], vcpus: 1, memory: 1024, nics: 1, colocate: `vm${n - 2}` });
    else if (k % 50 === 3)
      q.push({ names: [name(), name()], vcpus: 1, memory: 512, nics: 1, coschedule: 200 });
    else {
      const size = Math.min(500, vmCount - n);
      q.push({
        names: Array.from({ length: size }, name),
        vcpus: 1 + (k % 4),
        memory: 1024 * (1 + (k % 3)),
        nics: 2,
      });
    }
  }
  return q;
}

function time(label: string, q: QueuedVm[], h: HostLoad[], policy: Policy, runs = 5): void {
  plan(q, h, policy); // warm up
  const ms: number[] = [];
  let failure = '';
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = plan(q, h, policy);
    ms.push(performance.now() - t0);
    if (!r.ok) failure = ` (error: ${r.error.message.slice(0, 60)}...)`;
  }
  ms.sort((a, b) => a - b);
  const vms = q.reduce((s, e) => s + e.names.length, 0);
  console.log(
    `${label.padEnd(58)} ${vms} VMs / ${h.length} hosts: median ${(ms[ms.length >> 1] as number).toFixed(0)} ms, best ${(ms[0] as number).toFixed(0)} ms${failure}`,
  );
}

const H = hosts(1000);
const Q = queue(100_000, 1000);
time('plan, cpucommit (target ≤ 1 s)', Q, H, { load: 'cpucommit' });
time('plan, memcommit', Q, H, { load: 'memcommit' });
time('plan, netcommit', Q, H, { load: 'netcommit' });
time('plan, with caps (cpu 16×, mem 5×, 200 VMs/host)', Q, H, {
  cpuOvercommit: 16,
  memOvercommit: 5,
  maxVms: 200,
});
time('plan, caps too tight: the does-not-fit error', Q, H, { memOvercommit: 1.5 });
time('plan, 30 VMs / 3 hosts', queue(30, 3), hosts(3), {}, 50);
