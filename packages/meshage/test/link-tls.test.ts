// Keyed mesh links on TCP continue as TLS 1.3 after their Noise handshake
// (handshake.ts, stream-tls.ts), as streams do: the upgrade really happens
// on both ends, nothing readable crosses the wire, a tampered, replayed or
// reordered record closes the link before anything of it is delivered, a
// wrong key fails the dial, and a node that does not offer or take TLS
// (an older one) still links over the Noise channel.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { createMesh, createTcpTransport, defineKind, type Mesh } from '../src/index.js';
import { NoiseHandshake } from '../src/noise.js';
import { spyTlsUpgrades, type TlsRole } from '../src/testing.js';
import { type Direction, type TcpProxy, tcpProxy } from './tcp-proxy.js';
import { uniqueContext, until } from './util.js';

const key = Buffer.from('link tls key, at least sixteen bytes');
const Echo = defineKind<string, string>('linktls.echo');
const tcp = () => createTcpTransport({ host: '127.0.0.1', port: 0, discoveryPort: false });

describe('keyed mesh links over TLS', () => {
  const nodes: Mesh[] = [];
  const proxies: TcpProxy[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    await Promise.all(proxies.splice(0).map((p) => p.close()));
    await Promise.all(nodes.splice(0).map((m) => m.close()));
  });

  /** a and b (b's handler counts what it ran), a linked to b through a proxy */
  async function pair(opts: { aNoTls?: boolean; bNoTls?: boolean } = {}) {
    const context = uniqueContext();
    const upgrades: TlsRole[] = [];
    const mk = (name: string, noTls?: boolean) =>
      createMesh({ name, transport: spyTlsUpgrades(tcp(), upgrades, { noTls }), key, context });
    const a = await mk('a', opts.aNoTls);
    const b = await mk('b', opts.bNoTls);
    nodes.push(a, b);
    const ran: string[] = [];
    b.handle(Echo, (s) => {
      ran.push(s);
      return s;
    });
    a.handle(Echo, (s) => s);
    const proxy = await tcpProxy(b.address);
    proxies.push(proxy);
    await a.dial(proxy.address);
    await until('a and b see each other', () => a.size() === 2 && b.size() === 2);
    return { a, b, ran, proxy, upgrades };
  }

  test('both ends upgrade; requests flow both ways; nothing readable crosses the wire', async () => {
    const { a, b, proxy, upgrades } = await pair();
    expect(upgrades.sort()).toEqual(['client', 'server']);
    const seen: Buffer[] = [];
    proxy.set((c) => {
      seen.push(c);
      return [c];
    });
    expect(await a.send(['b'], Echo, 'SECRET-from-a')).toEqual([
      { host: 'b', ok: true, value: 'SECRET-from-a' },
    ]);
    expect(await b.send(['a'], Echo, 'SECRET-from-b')).toEqual([
      { host: 'a', ok: true, value: 'SECRET-from-b' },
    ]);
    const wire = Buffer.concat(seen);
    expect(wire.length).toBeGreaterThan(0);
    expect(wire.includes('SECRET')).toBe(false);
    // TLS application data records (type 23, legacy version 3.3)
    expect(wire.subarray(0, 3)).toEqual(Buffer.from([23, 3, 3]));
  });

  test.each([
    ['dialer to acceptor', 'forth'],
    ['acceptor to dialer', 'back'],
  ] as const)(
    'a tampered record, %s, closes the link; nothing of it is delivered; both nodes serve on',
    async (_label, dir) => {
      const { a, b, ran, proxy } = await pair();
      const downA = new Promise<string>((r) => a.once('peer-down', (_n, why) => r(why)));
      const downB = new Promise<string>((r) => b.once('peer-down', (_n, why) => r(why)));
      let armed = true;
      proxy.set((c, d: Direction) => {
        if (armed && d === dir && c.length > 1000) {
          armed = false;
          c[c.length >> 1] = (c[c.length >> 1] as number) ^ 0x40;
        }
        return [c];
      });
      const body = `tampered-${'x'.repeat(2000)}`;
      const [row] = await a.send(['b'], Echo, body, { timeout: 5000 });
      expect(row?.ok).toBe(false);
      const why = dir === 'forth' ? await downB : await downA;
      expect(why).toMatch(/decrypt|bad record mac|tls|ssl/i);
      await Promise.all([downA, downB]);
      // the request was cut before b saw it, or b ran it and its reply was what broke
      expect(ran).toEqual(dir === 'forth' ? [] : [body]);
      await a.dial(b.address);
      await until('relinked', () => a.size() === 2 && b.size() === 2);
      expect(await a.send(['b'], Echo, 'again')).toEqual([{ host: 'b', ok: true, value: 'again' }]);
    },
  );

  test('a replayed segment closes the link; the request ran once', async () => {
    const { a, b, ran, proxy } = await pair();
    const down = new Promise<string>((r) => b.once('peer-down', (_n, why) => r(why)));
    let armed = true;
    proxy.set((c, d) => {
      if (armed && d === 'forth' && c.length > 1000) {
        armed = false;
        return [c, Buffer.from(c)];
      }
      return [c];
    });
    const body = `replayed-${'x'.repeat(2000)}`;
    void a.send(['b'], Echo, body, { timeout: 5000 });
    expect(await down).toMatch(/decrypt|bad record mac|tls|ssl/i);
    expect(ran).toEqual([body]);
  });

  test('reordered segments close the link; neither request runs', async () => {
    const { a, b, ran, proxy } = await pair();
    const down = new Promise<string>((r) => b.once('peer-down', (_n, why) => r(why)));
    let held: Buffer | undefined;
    let done = false;
    proxy.set((c, d) => {
      if (done || d !== 'forth' || c.length < 1000) return [c];
      if (!held) {
        held = c;
        return [];
      }
      done = true;
      return [c, held];
    });
    void a.send(['b'], Echo, `one-${'x'.repeat(2000)}`, { timeout: 5000 });
    // the second request leaves once the proxy holds the first: its own TLS record and segment
    await until('the first request held', () => held !== undefined);
    void a.send(['b'], Echo, `two-${'x'.repeat(2000)}`, { timeout: 5000 });
    expect(await down).toMatch(/decrypt|bad record mac|tls|ssl/i);
    expect(ran).toEqual([]);
  });

  test('a dialer whose TLS key differs (it did not complete this Noise handshake) is refused with ERR_MESH_AUTH and never admitted; its link closes; the node serves on', async () => {
    const context = uniqueContext();
    const a = await createMesh({ name: 'a', transport: tcp(), key, context });
    // the acceptor's refusals, with their codes, as it logs them
    const refusals: string[] = [];
    const b = await createMesh({
      name: 'b',
      transport: tcp(),
      key,
      context,
      log: (_level, m) => {
        if (m.includes('rejected')) refusals.push(m);
      },
    });
    nodes.push(a, b);
    b.handle(Echo, (s) => s);
    const real = NoiseHandshake.prototype.exportKey;
    vi.spyOn(NoiseHandshake.prototype, 'exportKey').mockImplementationOnce(() => randomBytes(32));
    // the dialer holds a mesh link once the acceptor's sealed hello verified
    // (its frames wait in the TLS socket); the acceptor admits it only after
    // TLS, which fails: the link closes on both ends and b never lists a
    const bSaw: string[] = [];
    await a.dial(b.address);
    await until('the dialer lost the link', () => {
      bSaw.push(...b.peers());
      return a.peers().length === 0;
    });
    expect(bSaw).toEqual([]);
    expect(b.peers()).toEqual([]);
    await until('the acceptor refused it', () => refusals.length > 0);
    expect(refusals.join('\n')).toMatch(/rejected: ERR_MESH_AUTH: /);
    vi.mocked(NoiseHandshake.prototype.exportKey).mockImplementation(real);
    await a.dial(b.address);
    await until('linked', () => a.size() === 2 && b.size() === 2);
    expect(await a.send(['b'], Echo, 'ok')).toEqual([{ host: 'b', ok: true, value: 'ok' }]);
  });

  test('a dialer whose TLS handshake never completes drops the link after its handshake timeout; the acceptor never lists it', async () => {
    const context = uniqueContext();
    // neither b's handshake timeout nor a's heartbeat deadline can end the link in time: only a's TLS timeout
    const a = await createMesh({
      name: 'a',
      transport: tcp(),
      key,
      context,
      handshakeTimeoutMs: 300,
      deadAfterMs: 60_000,
    });
    const b = await createMesh({
      name: 'b',
      transport: tcp(),
      key,
      context,
      handshakeTimeoutMs: 60_000,
    });
    nodes.push(a, b);
    const proxy = await tcpProxy(b.address);
    proxies.push(proxy);
    // the acceptor's Noise reply passes; nothing after it (its TLS answer) does
    let back = 0;
    const forth: Buffer[] = [];
    proxy.set((c, dir) => {
      if (dir === 'forth') forth.push(c);
      return dir === 'forth' || back++ === 0 ? [c] : [];
    });
    const bSaw: string[] = [];
    await a.dial(proxy.address);
    expect(a.peers()).toEqual(['b']);
    // sent before TLS completes: held by the TLS socket, never on the wire in clear
    const early = a.send(['b'], Echo, 'SECRET-early', { timeout: 2000 }).catch(() => undefined);
    await until(
      'the dialer gave up on TLS',
      () => {
        bSaw.push(...b.peers());
        return a.peers().length === 0;
      },
      5000,
    );
    expect(bSaw).toEqual([]);
    await early;
    expect(Buffer.concat(forth).includes('SECRET')).toBe(false);
  });

  test.each([
    ['the dialer', { aNoTls: true }],
    ['the acceptor', { bNoTls: true }],
  ] as const)(
    'when %s does not offer or take TLS, the link runs on the Noise channel and works both ways',
    async (_label, opts) => {
      const { a, b, proxy, upgrades } = await pair(opts);
      expect(upgrades).toEqual([]);
      const seen: Buffer[] = [];
      proxy.set((c) => {
        seen.push(c);
        return [c];
      });
      expect(await a.send(['b'], Echo, 'SECRET-a')).toEqual([
        { host: 'b', ok: true, value: 'SECRET-a' },
      ]);
      expect(await b.send(['a'], Echo, 'SECRET-b')).toEqual([
        { host: 'a', ok: true, value: 'SECRET-b' },
      ]);
      expect(Buffer.concat(seen).includes('SECRET')).toBe(false);
    },
  );
});
