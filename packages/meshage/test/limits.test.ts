// Routing that untrusted input cannot abuse: hop limits, forged routes,
// forged announcements, oversized requests, announcement floods, deadlines.
import { afterEach, describe, expect, test } from 'vitest';
import {
  createMemoryNetwork,
  createMesh,
  defineKind,
  type MemoryNetwork,
  type Mesh,
  type MeshOptions,
} from '../src/index.js';
import { intrude } from './intruder.js';
import { until } from './util.js';

const Echo = defineKind<string, string>('limits.echo');
const key = Buffer.from('limits key, sixteen bytes or more');

describe('routing limits', () => {
  const nodes: Mesh[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((m) => m.close()));
  });

  /** A - B linked; warnings logged per node */
  async function pair(net: MemoryNetwork, extra: Partial<MeshOptions> = {}) {
    const warnings: string[] = [];
    const mk = (name: string) =>
      createMesh({
        name,
        transport: net.createTransport(),
        key,
        log: (level, msg) => level === 'warn' && warnings.push(`${name}: ${msg}`),
        ...extra,
      });
    const a = await mk('A');
    const b = await mk('B');
    nodes.push(a, b);
    a.handle(Echo, (s) => s);
    b.handle(Echo, (s) => s);
    await b.dial(a.address);
    await until('A-B', () => a.size() === 2 && b.size() === 2);
    return { a, b, warnings };
  }

  test('a huge-ttl request on a forged looping route dies at once; the forger is disconnected', async () => {
    const net = createMemoryNetwork({ validateFrames: true });
    const { a, b, warnings } = await pair(net);
    const x = await intrude(net, a, { key });
    const loop = ['X', 'A', 'B', 'A', 'B', 'Z'];
    const before = a.stats().sent.req + b.stats().sent.req;
    x.send({
      t: 'req',
      id: 1,
      src: 'X',
      inc: 1,
      to: ['Z'],
      paths: { Z: loop },
      kind: Echo.name,
      ttl: 1e9,
      body: 'spin',
    });
    await until('X disconnected', () => x.closed() !== undefined, 2000);
    await new Promise((r) => setTimeout(r, 100));
    expect(a.stats().sent.req + b.stats().sent.req - before).toBe(0);
    expect(warnings.join('\n')).toMatch(/disconnecting X .*route with a loop/);
    const [row] = await b.send(['A'], Echo, 'still here');
    expect(row).toMatchObject({ ok: true });
  });

  test('a huge ttl is cut to the hop limit: a request bounced between two nodes dies within it', async () => {
    const net = createMemoryNetwork({ validateFrames: true });
    const { a, b } = await pair(net, { maxTtl: 8 });
    const x = await intrude(net, a, { key });
    x.send({ t: 'lsa', e: [{ o: 'X', i: 1, s: 1, p: ['A'] }] });
    await until('B routes to X', () => b.nodes().includes('X'), 2000);
    const before = a.stats().sent.req + b.stats().sent.req;
    // no source route: each node routes by its table, and 'B' is reachable; ttl 1e9 is cut to 8
    x.send({ t: 'req', id: 2, src: 'X', inc: 1, to: ['B'], kind: Echo.name, ttl: 1e9, body: 'ok' });
    await until('answered', () => x.frames.some((f) => (f as { t: string }).t === 'res'), 2000);
    expect(a.stats().sent.req + b.stats().sent.req - before).toBeLessThanOrEqual(8);
    expect(x.closed()).toBeUndefined();
  });

  test('20,000 forged nodes are refused and the forger is disconnected', async () => {
    const net = createMemoryNetwork({ validateFrames: true });
    const { a, b, warnings } = await pair(net);
    const x = await intrude(net, a, { key });
    const fakes = Array.from({ length: 20_000 }, (_, i) => `fake${i}`);
    x.send({
      t: 'lsa',
      e: [
        { o: 'X', i: 1, s: 1, p: ['A', ...fakes].sort() },
        ...fakes.map((o) => ({ o, i: 1, s: 1, p: ['X'] })),
      ],
    });
    await until('X disconnected', () => x.closed() !== undefined, 5000);
    expect(a.size()).toBeLessThanOrEqual(3);
    expect(b.size()).toBeLessThanOrEqual(3);
    expect(warnings.join('\n')).toMatch(/disconnecting X/);
    const res = await b.broadcast(Echo, 'all', { timeout: 2000 });
    expect(res.length).toBeLessThanOrEqual(2);
  });

  test('announcements past maxNodes, sent a few at a time, are refused too', async () => {
    const net = createMemoryNetwork({ validateFrames: true });
    const { a } = await pair(net, { maxNodes: 50 });
    const x = await intrude(net, a, { key });
    for (let k = 0; k < 10 && !x.closed(); k++) {
      const fakes = Array.from({ length: 20 }, (_, i) => `f${k}-${i}`);
      x.send({ t: 'lsa', e: fakes.map((o) => ({ o, i: 1, s: 1, p: ['X'] })) });
      await new Promise((r) => setTimeout(r, 10));
    }
    await until('X disconnected', () => x.closed() !== undefined, 2000);
    expect(a.adjacency().size).toBeLessThanOrEqual(50);
  });

  test('an announcement flood is rate-limited: the flooder is disconnected', async () => {
    const net = createMemoryNetwork({ validateFrames: true });
    const { a, warnings } = await pair(net, { maxNodes: 20, lsaEntriesPerSecond: 20 });
    const x = await intrude(net, a, { key });
    for (let s = 1; s < 200 && !x.closed(); s++) {
      x.send({ t: 'lsa', e: [{ o: 'X', i: 1, s, p: ['A'] }] });
      if (s % 20 === 0) await new Promise((r) => setImmediate(r));
    }
    await until('X disconnected', () => x.closed() !== undefined, 2000);
    expect(warnings.join('\n')).toMatch(/entries\/s/);
  });

  test('a request to 50,000 hosts is refused whole: no flood of replies', async () => {
    const net = createMemoryNetwork({ validateFrames: true });
    const { a } = await pair(net);
    const x = await intrude(net, a, { key });
    const before = a.stats().sent.res;
    x.send({
      t: 'req',
      id: 3,
      src: 'X',
      inc: 1,
      to: Array.from({ length: 50_000 }, (_, i) => `ghost${i}`),
      kind: Echo.name,
      ttl: 4,
      body: null,
    });
    await until('X disconnected', () => x.closed() !== undefined, 5000);
    expect(a.stats().sent.res - before).toBe(0);
    expect(x.frames.filter((f) => (f as { t: string }).t === 'res')).toEqual([]);
  });

  test('a send to more hosts than maxTargets is split, every host still gets a row', async () => {
    const net = createMemoryNetwork();
    const { a } = await pair(net, { maxTargets: 2 });
    const hosts = ['B', 'u1', 'u2', 'u3'];
    const rows = await a.send(hosts, Echo, 'x');
    expect(rows.map((r) => r.host)).toEqual(hosts);
    expect(rows[0]).toMatchObject({ ok: true });
  });

  test('a send has a deadline by default (sendTimeoutMs)', async () => {
    const net = createMemoryNetwork();
    const { a, b } = await pair(net, { sendTimeoutMs: 100 });
    const Hang = defineKind<null, never>('limits.hang');
    b.handle(Hang, () => new Promise<never>(() => {}));
    const [row] = await a.send(['B'], Hang, null);
    expect(row).toMatchObject({ ok: false, error: { code: 'ERR_MESH_TIMEOUT' } });
  });

  test('a malformed frame after the handshake disconnects the sender, logged', async () => {
    const net = createMemoryNetwork({ validateFrames: true });
    const { a, warnings } = await pair(net);
    const x = await intrude(net, a, { key });
    x.send({ t: 'req', id: 'not a number' });
    await until('X disconnected', () => x.closed() !== undefined, 2000);
    expect(warnings.join('\n')).toMatch(/disconnecting X .*malformed/);
  });
});
