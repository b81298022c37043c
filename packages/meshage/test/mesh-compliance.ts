// Mesh behaviour that must hold on every transport: each transport's test
// file runs this suite with a few lines of setup.
import { afterEach, describe, expect, test } from 'vitest';
import { z } from 'zod';
import {
  createMesh,
  defineKind,
  type Mesh,
  type MeshOptions,
  type Transport,
} from '../src/index.js';
import { uniqueContext, until } from './util.js';

export interface MeshSetup {
  /** a fresh transport on one shared broadcast domain */
  make(): Transport;
  /** run the suite on a private mesh: every node holds this key */
  key?: Uint8Array;
  cleanup?(): Promise<void>;
}

const Echo = defineKind('test.echo', {
  request: z.object({ text: z.string() }),
  response: z.object({ text: z.string(), by: z.string() }),
});
const Hang = defineKind<{ n: number }, string>('test.hang');
const Boom = defineKind<null, never>('test.boom');

export function meshCompliance(name: string, setup: () => MeshSetup): void {
  describe(`mesh compliance: ${name}`, () => {
    let s: MeshSetup | undefined;
    const nodes: Mesh[] = [];
    const fast: Partial<MeshOptions> = { heartbeatMs: 100, deadAfterMs: 600, solicitMinMs: 100 };
    let context = uniqueContext();
    /** the suite's key, if it runs on a private mesh */
    const keyed = (): Partial<MeshOptions> => (s?.key ? { key: s.key } : {});

    async function node(nodeName: string, extra: Partial<MeshOptions> = {}): Promise<Mesh> {
      s ??= setup();
      const m = await createMesh({
        name: nodeName,
        transport: s.make(),
        context,
        ...keyed(),
        ...fast,
        ...extra,
      });
      m.handle(Echo, ({ text }) => ({ text, by: m.name }));
      nodes.push(m);
      return m;
    }
    async function line(names: string[]): Promise<Mesh[]> {
      const ms: Mesh[] = [];
      const addrs: string[] = [];
      for (const n of names) {
        s ??= setup();
        const t = s.make();
        const m = await createMesh({ name: n, transport: t, context, ...keyed(), ...fast });
        m.handle(Echo, ({ text }) => ({ text, by: m.name }));
        nodes.push(m);
        ms.push(m);
        addrs.push(t.localAddress);
      }
      for (let i = 1; i < ms.length; i++) await ms[i]?.dial(addrs[i - 1] as string);
      await until('line converged', () => ms.every((m) => m.nodes().length === ms.length));
      return ms;
    }

    afterEach(async () => {
      await Promise.all(nodes.splice(0).map((m) => m.close()));
      await s?.cleanup?.();
      s = undefined;
      context = uniqueContext();
    });

    test('multi-hop: a line of 5 learns the whole mesh and routes end to end', async () => {
      const [a, , , , e] = await line(['a', 'b', 'c', 'd', 'e']);
      expect(a?.nodes()).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(a?.route('e')).toBe('b');
      expect(e?.adjacency().get('c')).toEqual(['b', 'd']);
      const res = await a?.send(['e', 'c'], Echo, { text: 'hi' });
      expect(res).toEqual([
        { host: 'e', ok: true, value: { text: 'hi', by: 'e' } },
        { host: 'c', ok: true, value: { text: 'hi', by: 'c' } },
      ]);
    });

    test('broadcast answers from every other node, one row each', async () => {
      const [a] = await line(['a', 'b', 'c']);
      const res = (await a?.broadcast(Echo, { text: 'x' })) ?? [];
      expect(res.map((r) => r.host).sort()).toEqual(['b', 'c']);
      expect(res.every((r) => r.ok)).toBe(true);
    });

    test('unknown host and self are error rows naming the host, others still answer', async () => {
      const [a] = await line(['a', 'b']);
      const res = (await a?.send(['nope', 'b', 'a'], Echo, { text: 'y' })) ?? [];
      expect(res.map((r) => [r.host, r.ok ? 'ok' : r.error.code])).toEqual([
        ['nope', 'ERR_MESH_UNKNOWN_HOST'],
        ['b', 'ok'],
        ['a', 'ERR_MESH_SELF'],
      ]);
    });

    test('handler errors, missing handlers and bad bodies come back typed', async () => {
      const [a, b] = await line(['a', 'b']);
      b?.handle(Boom, () => {
        throw new Error('kaboom');
      });
      const [boom] = (await a?.send(['b'], Boom, null)) ?? [];
      expect(boom).toMatchObject({
        host: 'b',
        ok: false,
        error: { code: 'ERR_MESH_REMOTE', message: 'kaboom' },
      });
      const [none] = (await a?.send(['b'], Hang, { n: 1 })) ?? [];
      expect(none).toMatchObject({ ok: false, error: { code: 'ERR_MESH_NO_HANDLER', host: 'b' } });
      const [bad] = (await a?.send(['b'], Echo, { text: 5 } as unknown as { text: string })) ?? [];
      expect(bad).toMatchObject({ ok: false, error: { code: 'ERR_MESH_BAD_BODY' } });
    });

    test('sends run concurrently (no global lock), timeout and abort give rows', async () => {
      const [a, b] = await line(['a', 'b']);
      const gate: Array<() => void> = [];
      let inHandler = 0;
      b?.handle(Hang, ({ n }) => {
        inHandler++;
        return new Promise<string>((r) => gate.push(() => r(`done ${n}`)));
      });
      const p1 = a?.send(['b'], Hang, { n: 1 });
      const p2 = a?.send(['b'], Hang, { n: 2 });
      await until('both requests in the handler', () => inHandler === 2);
      for (const g of gate) g();
      expect((await p1)?.[0]).toMatchObject({ ok: true, value: 'done 1' });
      expect((await p2)?.[0]).toMatchObject({ ok: true, value: 'done 2' });
      const [timedOut] = (await a?.send(['b'], Hang, { n: 3 }, { timeout: 50 })) ?? [];
      expect(timedOut).toMatchObject({ ok: false, error: { code: 'ERR_MESH_TIMEOUT', host: 'b' } });
      const ac = new AbortController();
      const p4 = a?.send(['b'], Hang, { n: 4 }, { signal: ac.signal });
      ac.abort();
      expect((await p4)?.[0]).toMatchObject({ ok: false, error: { code: 'ERR_MESH_ABORTED' } });
      for (const g of gate) g();
    });

    test('a request to a host that drops out fails at once, not at the timeout', async () => {
      const [a, , c] = await line(['a', 'b', 'c']);
      c?.handle(Hang, () => new Promise<string>(() => {}));
      const p = a?.send(['c', 'b'], Hang, { n: 1 });
      await new Promise((r) => setTimeout(r, 50));
      await c?.close();
      const res = (await p) ?? [];
      expect(res[0]).toMatchObject({ host: 'c', ok: false });
      expect(['ERR_MESH_HOST_DOWN', 'ERR_MESH_UNREACHABLE', 'ERR_MESH_ROUTE_LOST']).toContain(
        res[0]?.ok ? '' : res[0]?.error.code,
      );
      expect(res[1]).toMatchObject({
        host: 'b',
        ok: false,
        error: { code: 'ERR_MESH_NO_HANDLER' },
      });
      await until('c gone from a', () => !a?.nodes().includes('c'));
    });

    test('a request whose path loses an intermediate hop fails at once, though the host is still reachable', async () => {
      // a - b - x - c  and  b - y - c: a reaches c through b and x (names sort x before y)
      s ??= setup();
      const ms = new Map<string, Mesh>();
      const addr = new Map<string, string>();
      for (const n of ['a', 'b', 'c', 'x', 'y']) {
        const t = s.make();
        const m = await createMesh({ name: n, transport: t, context, ...keyed(), ...fast });
        nodes.push(m);
        ms.set(n, m);
        addr.set(n, t.localAddress);
      }
      const get = (n: string) => ms.get(n) as Mesh;
      await get('b').dial(addr.get('a') as string);
      await get('x').dial(addr.get('b') as string);
      await get('c').dial(addr.get('x') as string);
      await get('y').dial(addr.get('b') as string);
      await get('c').dial(addr.get('y') as string);
      // every node knows all five links (a-b, b-x, x-c, b-y, y-c), not just all five
      // names: a that has not yet heard y's link to c sees c unreachable once x goes
      const links = (m: Mesh) => [...m.adjacency().values()].reduce((n, p) => n + p.length, 0);
      await until('square converged', () => [...ms.values()].every((m) => links(m) === 10));
      // x goes away only once c holds the request (a fixed sleep lost the race under load:
      // x closed before the request passed it, and a saw c's host down instead)
      let arrived!: () => void;
      const atC = new Promise<void>((r) => {
        arrived = r;
      });
      get('c').handle(Hang, () => {
        arrived();
        return new Promise<string>(() => {});
      });
      const p = get('a').send(['c'], Hang, { n: 1 }, { timeout: 8000 });
      await atC;
      await get('x').close();
      const [row] = await p;
      expect(row).toMatchObject({ host: 'c', ok: false, error: { code: 'ERR_MESH_ROUTE_LOST' } });
      expect(get('a').nodes()).toContain('c');
    });

    test('discovery: degree 2 nodes find each other without dialing', async () => {
      const ms = await Promise.all(['n1', 'n2', 'n3', 'n4'].map((n) => node(n, { degree: 2 })));
      await until('discovered', () => ms.every((m) => m.nodes().length === 4));
      for (const m of ms) expect(m.peers().length).toBeGreaterThanOrEqual(2);
    });

    test('a node in another context is not discovered', async () => {
      const a = await node('a', { degree: 1 });
      const b = await node('b', { degree: 1, context: `${context}-other` });
      await new Promise((r) => setTimeout(r, 400));
      expect(a.peers()).toEqual([]);
      expect(b.peers()).toEqual([]);
    });

    test('dial errors: yourself, already connected, hangup of a non-peer', async () => {
      s ??= setup();
      const ta = s.make();
      const a = await createMesh({ name: 'a', transport: ta, context, ...keyed(), ...fast });
      nodes.push(a);
      const tb = s.make();
      const b = await createMesh({ name: 'b', transport: tb, context, ...keyed(), ...fast });
      nodes.push(b);
      await expect(a.dial(ta.localAddress)).rejects.toMatchObject({ code: 'ERR_MESH_DIAL_SELF' });
      expect(await a.dial(tb.localAddress)).toBe('b');
      await expect(a.dial('b')).rejects.toMatchObject({ code: 'ERR_MESH_ALREADY_CONNECTED' });
      await expect(a.dial(tb.localAddress)).rejects.toMatchObject({
        code: 'ERR_MESH_ALREADY_CONNECTED',
      });
      expect(() => a.hangup('zz')).toThrowError(
        expect.objectContaining({ code: 'ERR_MESH_NO_SUCH_PEER' }),
      );
      await until('link up on b', () => b.peers().includes('a'));
      const down = new Promise<string>((r) => b.once('peer-down', (n) => r(n)));
      a.hangup('b');
      expect(await down).toBe('a');
    });

    test('events: peer-up, topology and peer-down', async () => {
      const a = await node('a');
      const seen: string[] = [];
      a.on('peer-up', (n) => seen.push(`up ${n}`));
      a.on('peer-down', (n) => seen.push(`down ${n}`));
      a.on('topology', (ns) => seen.push(`topo ${ns.join(',')}`));
      s ??= setup();
      const b = await createMesh({ name: 'b', transport: s.make(), context, ...keyed(), ...fast });
      await b.dial(a.address);
      await until('topology with b', () => seen.includes('topo a,b'));
      await b.close();
      await until('peer down', () => seen.includes('down b') && seen.includes('topo a'));
      expect(seen[0]).toBe('up b');
    });

    test('mesh key: keyed nodes link; a node without the key is not admitted', async () => {
      const key = Buffer.from('0123456789abcdef0123456789abcdef');
      s ??= setup();
      const ta = s.make();
      const a = await createMesh({ name: 'a', transport: ta, context, key, degree: 1, ...fast });
      const b = await createMesh({
        name: 'b',
        transport: s.make(),
        context,
        key,
        degree: 1,
        ...fast,
      });
      const tc = s.make();
      const c = await createMesh({ name: 'c', transport: tc, context, degree: 2, ...fast });
      const d = await createMesh({
        name: 'd',
        transport: s.make(),
        context,
        key: Buffer.from('another key, 16+ bytes'),
        ...fast,
      });
      nodes.push(a, b, c, d);
      await until('a and b linked by discovery', () => a.peers().includes('b'));
      await expect(c.dial(ta.localAddress)).rejects.toMatchObject({ code: 'ERR_MESH_AUTH' });
      await expect(a.dial(tc.localAddress)).rejects.toMatchObject({ code: 'ERR_MESH_AUTH' });
      await expect(d.dial(ta.localAddress)).rejects.toMatchObject({ code: 'ERR_MESH_AUTH' });
      await new Promise((r) => setTimeout(r, 300));
      expect(a.nodes()).toEqual(['a', 'b']);
      expect(c.peers()).toEqual([]);
      const [row] = await c.send(['a'], Echo, { text: 'let me in' });
      expect(row).toMatchObject({ ok: false, error: { code: 'ERR_MESH_UNKNOWN_HOST' } });
    });
  });
}
