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
    await until(
      '200-node convergence',
      () => ms.every((m) => m.nodes().length === 200),
      20_000,
      100,
    );
    // degree is a floor: every node keeps soliciting until it has 3 peers
    await until('degree 3 everywhere', () => ms.every((m) => m.peers().length >= 3), 20_000, 100);
    const res = await (ms[17] as Mesh).broadcast(Ping, null);
    expect(res).toHaveLength(199);
    expect(res.filter((r) => !r.ok)).toEqual([]);
    expect(new Set(res.map((r) => r.host)).size).toBe(199);
    expect(res.find((r) => r.host === 'n3')).toMatchObject({ ok: true, value: 'n3 from n17' });
  }, 60_000);

  test('random partitions heal: silent cut-offs are detected and the mesh reconverges', async () => {
    const net = createMemoryNetwork({ latencyMs: 1, jitterMs: 2 });
    const ms = await start(net, 30, 3);
    await until('30-node convergence', () => ms.every((m) => m.nodes().length === 30), 20_000, 50);
    // isolate 5 nodes silently (frames black-holed, links stay "up")
    const cut = [3, 8, 12, 20, 27];
    for (const i of cut) net.isolate(`addr-${i}`);
    const rest = ms.filter((_, i) => !cut.includes(i));
    await until(
      'isolated nodes dropped',
      () => rest.every((m) => m.nodes().length === 25),
      20_000,
      50,
    );
    const res = await (rest[0] as Mesh).send(['n3', 'n4'], Ping, null);
    expect(res[0]).toMatchObject({ host: 'n3', ok: false });
    expect(res[1]).toMatchObject({ host: 'n4', ok: true });
    net.healAll();
    await until('healed', () => ms.every((m) => m.nodes().length === 30), 30_000, 50);
    const all = await (ms[3] as Mesh).broadcast(Ping, null);
    expect(all.filter((r) => r.ok)).toHaveLength(29);
  }, 60_000);
});
