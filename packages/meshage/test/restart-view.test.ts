// A node's view after its peers restart (deploy kills the daemons and starts
// new ones): announcements of the dead incarnations must not make a node
// look reachable before its new incarnation has linked, or a view shows a
// node (deploy says "joined") and then loses it again (seen once in ~10
// deploy-real runs: the head's mesh size 3 right after all had joined).
import { afterEach, describe, expect, test } from 'vitest';
import { createMemoryNetwork, createMesh, type Mesh, type MeshOptions } from '../src/index.js';
import { until } from './util.js';

const made: Mesh[] = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((m) => m.close()));
});

type Net = ReturnType<typeof createMemoryNetwork>;

async function node(net: Net, name: string, o: Partial<MeshOptions> = {}): Promise<Mesh> {
  // generous liveness: a busy machine must not make nodes drop each other
  const m = await createMesh({ name, transport: net.createTransport(), deadAfterMs: 30_000, ...o });
  made.push(m);
  return m;
}

/** head + names, every pair linked; then every named node is closed (the head lives on) */
async function firstLife(net: Net, names: string[]): Promise<Mesh> {
  const head = await node(net, 'head');
  const olds: Mesh[] = [];
  for (const n of names) olds.push(await node(net, n));
  for (const [i, m] of olds.entries()) {
    await m.dial(head.address);
    for (const o of olds.slice(0, i)) await m.dial(o.address);
  }
  // settled: the head knows every link (each node announced all its peers)
  await until('the first mesh', () =>
    [...head.adjacency().values()].every((ps) => ps.length === names.length),
  );
  // they die together (kill sent to all at once): nobody announces the others' departure
  await Promise.all(olds.map((m) => m.close()));
  await until('the head alone', () => head.size() === 1);
  return head;
}

/** poll `m.nodes()` every few ms until stopped; every distinct view seen, in order */
function watch(m: Mesh): { views: string[][]; stop(): void } {
  const views: string[][] = [];
  let last = '';
  const t = setInterval(() => {
    const v = m.nodes();
    const k = v.join(',');
    if (k !== last) {
      last = k;
      views.push(v);
    }
  }, 2);
  return { views, stop: () => clearInterval(t) };
}

describe('views across restarts', () => {
  test('a restarted direct peer brings none of its old links back with it', async () => {
    const net = createMemoryNetwork();
    const head = await firstLife(net, ['a', 'b', 'c']);
    // the new a announces its peers late: until then the head knows only its own link to a
    const a = await node(net, 'a', { lsaDelayMs: 1000 });
    await head.dial(a.address);
    expect(head.nodes()).toEqual(['a', 'head']);
  });

  test('a restarted node reached through another brings none of its old links back', async () => {
    // frames checked as off the wire: the peers' incarnations must survive validation
    const net = createMemoryNetwork({ validateFrames: true });
    const head = await firstLife(net, ['a', 'b', 'c']);
    const a = await node(net, 'a');
    await head.dial(a.address);
    await until('a in view', () => head.nodes().includes('a'));
    const w = watch(head);
    try {
      // b links to a only and announces late; c never comes back
      const b = await node(net, 'b', { lsaDelayMs: 1000 });
      await b.dial(a.address);
      await until('b in view', () => head.nodes().includes('b'), 5000);
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      w.stop();
    }
    expect(w.views.filter((v) => v.includes('c'))).toEqual([]);
    expect(head.nodes()).toEqual(['a', 'b', 'head']);
  });

  test('many nodes restarting at once: once the head sees one, it never loses it', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `n${i + 1}`);
    const net = createMemoryNetwork({ latencyMs: 1, jitterMs: 2 });
    const head = await firstLife(net, names);
    const w = watch(head);
    try {
      // they start within a few ms of each other, each links to two earlier
      // ones, and the head dials every one it does not see yet (as deploy's
      // watcher does)
      const fresh: Promise<Mesh>[] = [];
      await Promise.all(
        names.map(async (n, i) => {
          await new Promise((r) => setTimeout(r, i * 5));
          const started = node(net, n);
          fresh.push(started);
          const m = await started;
          for (const o of [fresh[i - 1], fresh[i - 3]]) {
            if (o) await m.dial((await o).address).catch(() => {});
          }
          while (!head.nodes().includes(n)) {
            await head.dial(m.address).catch(() => {});
            await new Promise((r) => setTimeout(r, 5));
          }
        }),
      );
      await until('the whole mesh', () => head.size() === names.length + 1);
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      w.stop();
    }
    const seen = new Set<string>();
    for (const v of w.views) {
      for (const n of seen) expect(v, `${n} dropped out of the head's view`).toContain(n);
      for (const n of v) seen.add(n);
    }
    expect(head.nodes()).toEqual([...names, 'head'].sort());
  });
});
