// Many nodes in one process on the in-memory transport.
import { afterEach, describe, expect, test } from 'vitest';
import {
  createMemoryNetwork,
  createMesh,
  defineKind,
  type MemoryNetwork,
  type Mesh,
} from '../src/index.js';
import { until } from './util.js';

const Ping = defineKind<null, string>('scale.ping');

describe('in-memory mesh at scale', () => {
  const nodes: Mesh[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((m) => m.close()));
  });

  async function start(net: MemoryNetwork, n: number, degree: number): Promise<Mesh[]> {
    const ms = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        createMesh({
          name: `n${i}`,
          transport: net.createTransport(`addr-${i}`),
          degree,
          heartbeatMs: 250,
          deadAfterMs: 1500,
          solicitMinMs: 200,
          solicitMaxMs: 2000,
        }),
      ),
    );
    for (const m of ms) m.handle(Ping, (_b, ctx) => `${m.name} from ${ctx.from}`);
    nodes.push(...ms);
    return ms;
  }

  test('200 nodes with degree 3 converge by discovery and broadcast reaches every node', async () => {
    const net = createMemoryNetwork({ latencyMs: 1, jitterMs: 3 });
    const ms = await start(net, 200, 3);
    await until('200-node convergence', () => ms.every((m) => m.size() === 200), 45_000, 100);
    // degree is a floor: every node keeps soliciting until it has 3 peers
    await until('degree 3 everywhere', () => ms.every((m) => m.peers().length >= 3), 45_000, 100);
    const res = await (ms[17] as Mesh).broadcast(Ping, null);
    expect(res).toHaveLength(199);
    expect(res.filter((r) => !r.ok)).toEqual([]);
    expect(new Set(res.map((r) => r.host)).size).toBe(199);
    expect(res.find((r) => r.host === 'n3')).toMatchObject({ ok: true, value: 'n3 from n17' });
  }, 120_000);

  test('random partitions heal: silent cut-offs are detected, each side carries on, the mesh reconverges', async () => {
    const net = createMemoryNetwork({ latencyMs: 1, jitterMs: 2 });
    const ms = await start(net, 30, 3);
    await until('30-node convergence', () => ms.every((m) => m.size() === 30), 40_000, 50);
    let seed = 12345;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 2; round++) {
      // split at random into two sides; frames across are black-holed (links stay "up")
      const side = ms.map(() => rnd() < 0.5);
      side[0] = true;
      side[1] = false;
      for (let i = 0; i < ms.length; i++) {
        for (let j = i + 1; j < ms.length; j++) {
          if (side[i] !== side[j]) net.partition(`addr-${i}`, `addr-${j}`);
        }
      }
      const sideOf = (name: string) => side[Number(name.slice(1))];
      await until(
        'each side sees only itself',
        () => ms.every((m) => m.nodes().every((n) => sideOf(n) === sideOf(m.name))),
        40_000,
        50,
      );
      const a = ms[0] as Mesh;
      const across = ms[1] as Mesh;
      const [row] = await a.send([across.name], Ping, null);
      expect(row).toMatchObject({ host: across.name, ok: false });
      net.healAll();
      await until('healed', () => ms.every((m) => m.size() === 30), 40_000, 50);
      const all = await across.broadcast(Ping, null);
      expect(all.filter((r) => r.ok)).toHaveLength(29);
    }
  }, 120_000);
});
