// Two hosts that call each other at the same moment both finish (issue #8
// part 5): each is the head of its own namespace spanning both, and each
// launches, starts, lists and kills VMs placed on the other while the other
// does the same to it. A lock held across a mesh call, or a host that serves
// remote calls only between its own commands, deadlocks here.
import { expect, test } from 'vitest';
import type { DaemonCore } from '../../src/daemon/core.js';
import { loopbackMeshDaemon } from '../helpers.js';
import { fakeClusterModules as modules, type Ran, runLine as run } from '../mesh-cluster.js';

/** Runs lines one after another in namespace `ns` of `core`, failing on the first error. */
async function script(core: DaemonCore, ns: string, lines: string[]): Promise<Ran[]> {
  const out: Ran[] = [];
  for (const line of lines) {
    const r = await run(core, `namespace ${ns} ${line}`);
    expect(r.errors, `${ns}: ${line}`).toEqual([]);
    out.push(r);
  }
  return out;
}

test('two hosts launching, starting and killing VMs on each other at once both finish', async () => {
  await using a = await loopbackMeshDaemon('xa', modules());
  await using b = await loopbackMeshDaemon('xb', modules());
  expect((await run(a.core, `mesh dial 127.0.0.1:${b.port}`)).errors).toEqual([]);
  // each namespace spans both hosts (a new one holds only the mesh's peers)
  for (const [core, ns] of [
    [a.core, 'na'],
    [b.core, 'nb'],
  ] as const) {
    for (let i = 0; i < 300; i++) {
      if ((await run(core, `namespace ${ns} ns add-hosts xa,xb`)).errors.length === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await run(core, `namespace ${ns} ns hosts`)).text).toBe('xa,xb');
  }

  // half pinned to each host, so each head surely calls the other
  const lines = (p: string) => [
    'vm config memory 64',
    'vm config schedule xa',
    `vm launch kvm ${p}[1-6]`,
    'vm config schedule xb',
    `vm launch kvm ${p}[7-12]`,
    'vm start all',
    '.columns name,state vm info',
    'vm kill all',
    'vm flush',
    '.columns name vm info',
  ];
  // both heads at the same moment
  const [ra, rb] = await Promise.all([
    script(a.core, 'na', lines('a')),
    script(b.core, 'nb', lines('b')),
  ]);
  for (const [r, p] of [
    [ra, 'a'],
    [rb, 'b'],
  ] as const) {
    const info = r[6]?.rows ?? [];
    // 12 VMs, all running, six on each host, none of the other head's
    expect(info).toHaveLength(12);
    expect(info.every(([, name, state]) => name?.startsWith(p) && state === 'RUNNING')).toBe(true);
    const on = (h: string) => info.filter(([host]) => host === h).length;
    expect([on('xa'), on('xb')]).toEqual([6, 6]);
    // flushed everywhere afterwards
    expect(r[9]?.rows).toEqual([]);
  }
}, 60_000);
