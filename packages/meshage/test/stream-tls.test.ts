// Keyed streams on TCP continue as TLS 1.3 under a PSK exported from their
// Noise handshake (stream-tls.ts): the TLS path is really taken, a wrong key
// fails it, both ends decrypt straight into their frame readers, and a
// tampered, replayed or reordered record closes the stream instead of
// reaching it.
import { randomBytes } from 'node:crypto';
import { createServer, type Socket, connect as tcpConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { ChannelLink } from '../src/channel.js';
import { encodeFrame, FrameReader } from '../src/framing.js';
import { initiate, type LocalIdentity, respond } from '../src/handshake.js';
import { createMesh, createTcpTransport, type Link, type Mesh } from '../src/index.js';
import { NoiseHandshake } from '../src/noise.js';
import { startStreamTls } from '../src/stream-tls.js';
import { spyTlsUpgrades, type TlsRole } from '../src/testing.js';
import { uniqueContext, until } from './util.js';

const key = Buffer.from('stream tls key, at least sixteen bytes');
const tcp = () => createTcpTransport({ host: '127.0.0.1', port: 0, discoveryPort: false });

function readAll(s: Duplex): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    s.on('data', (c: Buffer) => parts.push(Buffer.from(c)));
    s.once('end', () => resolve(Buffer.concat(parts)));
    s.once('error', reject);
  });
}

describe('keyed streams over TLS', () => {
  const nodes: Mesh[] = [];
  const cleanups: (() => void)[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    for (const c of cleanups.splice(0)) c();
    await Promise.all(nodes.splice(0).map((m) => m.close()));
  });

  async function pair(upgrades: TlsRole[]): Promise<[Mesh, Mesh]> {
    const context = uniqueContext();
    const a = await createMesh({
      name: 'a',
      transport: spyTlsUpgrades(tcp(), upgrades),
      key,
      context,
    });
    const b = await createMesh({
      name: 'b',
      transport: spyTlsUpgrades(tcp(), upgrades),
      key,
      context,
    });
    nodes.push(a, b);
    await a.dial(b.address);
    await until('a and b see each other', () => a.size() === 2 && b.size() === 2);
    return [a, b];
  }

  test('a keyed stream on TCP runs over TLS on both ends and carries data both ways', async () => {
    const upgrades: TlsRole[] = [];
    const [a, b] = await pair(upgrades);
    b.handleStream('echo/1', (s) => s.pipe(s));
    // the mesh link between them is on TLS already (link-tls.test.ts)
    expect(upgrades.sort()).toEqual(['client', 'server']);
    upgrades.length = 0;
    const s = await a.openStream('b', 'echo/1');
    // the stream's own connection upgraded on both ends
    expect(upgrades.sort()).toEqual(['client', 'server']);
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const got = readAll(s);
    s.end(data);
    expect((await got).equals(data)).toBe(true);
  });

  test('a large write reaches the TLS socket one buffer at a time (never joined into a copy) and arrives whole', async () => {
    const [a, b] = await pair([]);
    b.handleStream('echo/1', (s) => s.pipe(s));
    // Node's TLS socket joins the buffers of a writev into a fresh one before sealing them
    const writev = vi.spyOn(TLSSocket.prototype, '_writev');
    const s = await a.openStream('b', 'echo/1');
    const data = randomBytes(8 * 1024 * 1024 + 5);
    const got = readAll(s);
    // two big writes back to back: 32+ data frames, their heads and the peer's credit frames queue up
    s.write(data.subarray(0, 5 * 1024 * 1024));
    s.end(data.subarray(5 * 1024 * 1024));
    expect((await got).equals(data)).toBe(true);
    expect(writev.mock.calls.length).toBe(0);
  });

  test('a stream whose two ends derive different TLS keys fails with an auth error, and the node keeps serving', async () => {
    const [a, b] = await pair([]);
    b.handleStream('echo/1', (s) => s.pipe(s));
    const real = NoiseHandshake.prototype.exportKey;
    // one end of the next handshake exports a wrong key (as a peer that did
    // not complete this Noise handshake would have)
    vi.spyOn(NoiseHandshake.prototype, 'exportKey').mockImplementationOnce(() => randomBytes(32));
    await expect(a.openStream('b', 'echo/1')).rejects.toMatchObject({ code: 'ERR_MESH_AUTH' });
    vi.mocked(NoiseHandshake.prototype.exportKey).mockImplementation(real);
    const s = await a.openStream('b', 'echo/1');
    const got = readAll(s);
    s.end('still works');
    expect((await got).toString()).toBe('still works');
  });
});

describe('stream TLS under the handshake', () => {
  const closers: (() => void)[] = [];
  afterEach(() => {
    for (const c of closers.splice(0)) c();
  });

  /** a connected loopback TCP pair: [dialer, acceptor] */
  async function socketPair(): Promise<[Socket, Socket]> {
    const server = createServer();
    closers.push(() => server.close());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const accepted = new Promise<Socket>((r) => server.once('connection', r));
    const client = tcpConnect(port, '127.0.0.1');
    await new Promise((r) => client.once('connect', r));
    return [client, await accepted];
  }

  test('TLS under two different PSKs fails on both ends and closes both sockets', async () => {
    const [client, srv] = await socketPair();
    const results = await Promise.allSettled([
      startStreamTls(client, 'client', randomBytes(32)),
      startStreamTls(srv, 'server', randomBytes(32)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(client.destroyed && srv.destroyed).toBe(true);
  });

  test('both ends decrypt straight into the frame reader on this Node: frames of every size arrive whole', async () => {
    const [client, srv] = await socketPair();
    closers.push(
      () => client.destroy(),
      () => srv.destroy(),
    );
    const psk = randomBytes(32);
    const readers = [new FrameReader(), new FrameReader()] as const;
    const [c, s] = await Promise.all([
      startStreamTls(client, 'client', psk, readers[0]),
      startStreamTls(srv, 'server', psk, readers[1]),
    ]);
    // the fast path, not the 'data' fallback (a Node without it fails here, not silently slower)
    expect([c.readsInto, s.readsInto]).toEqual([true, true]);
    const frames = [
      randomBytes(1),
      randomBytes(16 * 1024 - 3),
      randomBytes(256 * 1024),
      randomBytes(1024 * 1024 + 5),
      randomBytes(300),
    ];
    for (const [from, to] of [
      [c.tls, readers[1]],
      [s.tls, readers[0]],
    ] as const) {
      const got: Buffer[] = [];
      to.attach(
        (f) => got.push(f instanceof Uint8Array ? Buffer.from(f) : Buffer.from(JSON.stringify(f))),
        (e) => {
          throw e;
        },
      );
      for (const f of frames) from.write(encodeFrame(f));
      from.write(encodeFrame({ t: 'w', n: 5 }));
      await until('every frame arrived', () => got.length === frames.length + 1);
      expect(got.slice(0, frames.length).map((g, i) => g.equals(frames[i] as Buffer))).toEqual(
        frames.map(() => true),
      );
      expect(got[frames.length]?.toString()).toBe('{"t":"w","n":5}');
    }
  });

  /**
   * dialer -> proxy -> acceptor. The proxy cuts the bytes of `direction` into
   * TLS records (5-byte header: type, version, length) and, once armed, does
   * `attack` to the next record(s): flips a byte, sends one twice, or swaps
   * two.
   */
  test.each([
    ['tampered', 'dialer to acceptor (TLS server side)', 'flip', 'forth'],
    ['tampered', 'acceptor to dialer (TLS client side)', 'flip', 'back'],
    ['replayed', 'dialer to acceptor (TLS server side)', 'replay', 'forth'],
    ['replayed', 'acceptor to dialer (TLS client side)', 'replay', 'back'],
    ['reordered', 'dialer to acceptor (TLS server side)', 'reorder', 'forth'],
    ['reordered', 'acceptor to dialer (TLS client side)', 'reorder', 'back'],
  ] as const)(
    'a %s TLS record, %s, closes the link on the receiving end; nothing of it is delivered',
    async (_what, _label, attack, direction) => {
      let armed = false;
      let held: Buffer | undefined;
      /**
       * one direction's bytes: as they come until armed (the Noise handshake
       * is not TLS), then cut into whole TLS records (the link is idle when
       * armed, so the next byte starts a record)
       */
      const records = (send: (b: Buffer) => void) => {
        let pending = Buffer.alloc(0);
        return (c: Buffer) => {
          if (!armed && pending.length === 0) return send(c);
          pending = Buffer.concat([pending, c]);
          while (pending.length >= 5 && pending.length >= 5 + pending.readUInt16BE(3)) {
            const n = 5 + pending.readUInt16BE(3);
            mangle(Buffer.from(pending.subarray(0, n)), send);
            pending = pending.subarray(n);
          }
        };
      };
      const mangle = (r: Buffer, send: (b: Buffer) => void) => {
        if (!armed) return send(r);
        if (attack === 'flip') {
          armed = false;
          r[r.length >> 1] = (r[r.length >> 1] as number) ^ 0x40;
          return send(r);
        }
        if (attack === 'replay') {
          armed = false;
          send(r);
          return send(r);
        }
        // reorder: hold the first, send the second, then the first
        if (!held) {
          held = r;
          return;
        }
        armed = false;
        send(r);
        send(held);
      };
      const proxy = createServer((down) => {
        const up = tcpConnect(listenPort, '127.0.0.1');
        const toUp = (b: Buffer) => up.write(b);
        const toDown = (b: Buffer) => down.write(b);
        down.on('data', direction === 'forth' ? records(toUp) : toUp);
        up.on('data', direction === 'back' ? records(toDown) : toDown);
        up.on('error', () => down.destroy());
        down.on('error', () => up.destroy());
        up.on('close', () => down.destroy());
        down.on('close', () => up.destroy());
      });
      closers.push(() => proxy.close());
      const tA = tcp();
      const tB = tcp();
      closers.push(
        () => void tA.close(),
        () => void tB.close(),
      );
      const psk = randomBytes(32);
      const me = (name: string, incarnation: number): LocalIdentity => ({
        name,
        incarnation,
        version: 'test',
        psk,
      });
      let accept: (l: ChannelLink) => void = () => {};
      let refuse: (e: unknown) => void = () => {};
      const accepted = new Promise<ChannelLink>((resolve, reject) => {
        accept = resolve;
        refuse = reject;
      });
      await tB.listen({
        link: (l) =>
          respond(l, me('b', 2), {
            timeoutMs: 5000,
            admit: () => ({ ok: true, soliciting: false }),
          }).then((r) => accept(r.link), refuse),
        datagram: () => {},
      });
      const listenPort = Number(tB.localAddress.split(':').pop());
      await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
      const proxyPort = (proxy.address() as { port: number }).port;
      const raw = await tA.dial(`127.0.0.1:${proxyPort}`);
      const upgrades: string[] = [];
      const start = raw.startTls?.bind(raw);
      expect(start).toBeDefined();
      raw.startTls = (role, k) => {
        upgrades.push(role);
        return (start as NonNullable<Link['startTls']>)(role, k);
      };
      const dialed = await initiate(
        raw,
        me('a', 1),
        { purpose: 'stream', proto: 't/1', to: 'b' },
        { timeoutMs: 5000 },
      );
      const bLink = await accepted;
      expect(upgrades).toEqual(['client']);
      const [sender, receiver] = (
        direction === 'forth' ? [dialed?.link, bLink] : [bLink, dialed?.link]
      ) as [ChannelLink, ChannelLink];
      const frames: unknown[] = [];
      const closed = new Promise<string>((r) =>
        receiver.attach({ frame: (f) => frames.push(f), close: r }),
      );
      // one clean frame first: the path works
      sender.send(Buffer.from('clean'));
      await until('the clean frame arrived', () => frames.length === 1);
      armed = true;
      sender.send(Buffer.alloc(64 * 1024, 7));
      const why = await closed;
      expect(why).toMatch(/decrypt|bad record mac|tls|ssl/i);
      expect(frames).toHaveLength(1);
    },
  );
});
