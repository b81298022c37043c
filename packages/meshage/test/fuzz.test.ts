// Garbage and truncated frames on the mesh TCP port and garbage datagrams on
// the UDP port never crash a node; it keeps serving its real peers.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { derivePsk } from '../src/auth.js';
import { initiate } from '../src/handshake.js';
import {
  createMesh,
  createTcpTransport,
  defineKind,
  encodeFrame,
  type Link,
  type Mesh,
} from '../src/index.js';
import { spyTlsUpgrades, type TlsRole } from '../src/testing.js';
import { discoveryPortFor, uniqueContext, until } from './util.js';

/**
 * Sends each frame until the link closes (a value msgpack cannot encode is
 * refused on our side and skipped), then gives the peer a moment to act.
 */
async function sendEach(
  link: { readonly closed: boolean; send(frame: unknown): void },
  frames: readonly unknown[],
): Promise<void> {
  for (const x of frames) {
    if (link.closed) break;
    try {
      link.send(x);
    } catch {
      // unencodable value
    }
  }
  await new Promise((r) => setTimeout(r, 5));
}

const Echo = defineKind<string, string>('fuzz.echo');
const udpPort = discoveryPortFor(3);

describe('fuzz: hostile input on the mesh ports', () => {
  let a: Mesh;
  let b: Mesh;
  let port = 0;
  beforeAll(async () => {
    const context = uniqueContext();
    const mk = (name: string) =>
      createMesh({
        name,
        context,
        transport: createTcpTransport({
          host: '127.0.0.1',
          port: 0,
          discoveryPort: udpPort,
          broadcast: ['127.255.255.255'],
        }),
        handshakeTimeoutMs: 500,
      });
    a = await mk('a');
    b = await mk('b');
    b.handle(Echo, (s) => s);
    await a.dial(b.address);
    port = Number(b.address.split(':')[1]);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  async function blast(chunks: Uint8Array[]): Promise<void> {
    await new Promise<void>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        for (const c of chunks) s.write(c);
        setTimeout(() => s.destroy(), 5);
      });
      s.on('error', () => resolve());
      s.on('close', () => resolve());
    });
  }

  test('random bytes, bad lengths and truncated frames on TCP', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 4 }),
        async (chunks) => {
          await blast(chunks);
        },
      ),
      { numRuns: 60 },
    );
    const hello = encodeFrame({
      t: 'hello',
      proto: 1,
      name: 'evil',
      inc: 1,
      version: 'x',
      soliciting: false,
      auth: false,
      nonce: new Uint8Array(16),
    });
    await blast([hello.subarray(0, hello.length - 3)]);
    await blast([Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3])]);
    await blast([
      encodeFrame({ t: 'hello', proto: 'x' }),
      encodeFrame('string'),
      encodeFrame(null),
    ]);
    await blast([
      hello,
      encodeFrame({ t: 'ready' }),
      encodeFrame({ t: 'req', id: 'x' }),
      encodeFrame({ t: 'lsa', e: [{ o: 5 }] }),
    ]);
    const [row] = await a.send(['b'], Echo, 'still alive');
    expect(row).toEqual({ host: 'b', ok: true, value: 'still alive' });
    await until('b back to one peer', () => b.peers().length === 1);
    expect(b.peers()).toEqual(['a']);
  });

  test('before the handshake a frame may be 64 KiB at most: a 1 MiB header closes the link at once', async () => {
    const closedAfter = await new Promise<number>((resolve) => {
      const t0 = Date.now();
      const s = connect({ host: '127.0.0.1', port }, () => {
        const head = Buffer.alloc(4);
        head.writeUInt32BE(1024 * 1024, 0);
        s.write(head);
        s.write(Buffer.alloc(1000));
      });
      s.on('error', () => {});
      s.on('close', () => resolve(Date.now() - t0));
    });
    expect(closedAfter).toBeLessThan(400);
  });

  test('garbage datagrams on UDP', async () => {
    const sock = createSocket('udp4');
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
        await new Promise<void>((r) => sock.send(bytes, udpPort, '127.0.0.1', () => r()));
      }),
      { numRuns: 200 },
    );
    sock.close();
    await new Promise((r) => setTimeout(r, 50));
    const [row] = await a.send(['b'], Echo, 'ok');
    expect(row).toMatchObject({ ok: true });
  });

  /** a fuzzer that completed a real handshake with b: a peer, as far as b knows */
  async function handshaken(key?: Uint8Array) {
    const t = createTcpTransport({ host: '127.0.0.1', port: 0, discoveryPort: false });
    const raw = await t.dial(`127.0.0.1:${port}`);
    const r = await initiate(
      raw,
      {
        name: `fuzz${Math.floor(Math.random() * 1e9)}`,
        incarnation: Date.now(),
        version: 'fuzz',
        ...(key ? { psk: derivePsk(key) } : {}),
      },
      { purpose: 'peer' },
      { timeoutMs: 2000 },
    );
    if (!r) throw new Error('declined');
    r.link.attach({ frame: () => {}, close: () => {} });
    return { link: r.link, close: () => t.close() };
  }

  const name = fc.constantFrom('a', 'b', 'fuzz', 'zz', '', 'a\u0000b', 'x'.repeat(300));
  const frame = fc.oneof(
    fc.anything(),
    fc.record({
      t: fc.constantFrom('ping', 'lsa', 'req', 'res', 'ready', 'hs1'),
      x: fc.anything(),
    }),
    fc.record({
      t: fc.constant('lsa'),
      e: fc.array(
        fc.record({
          o: name,
          i: fc.integer(),
          s: fc.integer(),
          p: fc.array(name, { maxLength: 5 }),
        }),
        { maxLength: 5 },
      ),
    }),
    fc.record({
      t: fc.constant('req'),
      id: fc.integer(),
      src: name,
      inc: fc.integer(),
      to: fc.array(name, { maxLength: 5 }),
      paths: fc.dictionary(name, fc.array(name, { maxLength: 6 })),
      kind: fc.constantFrom('fuzz.echo', 'nope', ''),
      ttl: fc.integer(),
      body: fc.anything(),
    }),
    fc.record({
      t: fc.constant('res'),
      re: fc.integer(),
      inc: fc.integer(),
      src: name,
      dst: name,
      ttl: fc.integer(),
      path: fc.array(name, { maxLength: 6 }),
      ok: fc.boolean(),
      body: fc.anything(),
    }),
  );

  test('random frames after a valid handshake (clear mesh): the node survives and keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 6 }), async (frames) => {
        const f = await handshaken();
        await sendEach(f.link, frames);
        await f.close();
      }),
      { numRuns: 40 },
    );
    const [row] = await a.send(['b'], Echo, 'survived');
    expect(row).toEqual({ host: 'b', ok: true, value: 'survived' });
  });
});

describe('fuzz: random frames after a valid handshake on a private mesh', () => {
  const key = Buffer.from('fuzzing key, sixteen bytes or more');

  /** a peer handshake on `raw` by a node that holds the mesh key */
  const keyHolderHandshake = (raw: Link, name: string) =>
    initiate(
      raw,
      { name, incarnation: Date.now(), version: 'x', psk: derivePsk(key) },
      { purpose: 'peer' },
      { timeoutMs: 2000 },
    );

  /**
   * Keyed TCP nodes a and b (b answers Echo), a linked to b; `attack` goes
   * at b, which must still answer a afterwards.
   */
  async function afterAttackStillServes(
    options: { handshakeTimeoutMs?: number },
    attack: (b: Mesh) => Promise<void>,
  ): Promise<void> {
    const context = uniqueContext();
    const mk = (name: string) =>
      createMesh({
        name,
        context,
        key,
        transport: createTcpTransport({ host: '127.0.0.1', port: 0, discoveryPort: false }),
        ...options,
      });
    const a = await mk('a');
    const b = await mk('b');
    try {
      b.handle(Echo, (s) => s);
      await a.dial(b.address);
      await attack(b);
      const [row] = await a.send(['b'], Echo, 'ok');
      expect(row).toEqual({ host: 'b', ok: true, value: 'ok' });
    } finally {
      await a.close();
      await b.close();
    }
  }

  test('sealed garbage, plaintext and replays close the link; the node keeps serving', async () => {
    await afterAttackStillServes({ handshakeTimeoutMs: 500 }, async (b) => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.anything()), {
            minLength: 1,
            maxLength: 4,
          }),
          async (frames) => {
            const t = createTcpTransport({ host: '127.0.0.1', port: 0, discoveryPort: false });
            const raw = await t.dial(b.address);
            const r = await keyHolderHandshake(raw, 'intruder');
            r?.link.attach({ frame: () => {}, close: () => {} });
            // write around the channel: raw frames the receiver must open with its key
            await sendEach(raw, frames);
            await until('intruder dropped', () => raw.closed, 2000);
            await t.close();
          },
        ),
        { numRuns: 25 },
      );
    });
  });

  test('random frames from a key holder through its TLS link: the node survives and keeps serving', async () => {
    await afterAttackStillServes({}, async (b) => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.oneof(
              fc.anything(),
              fc.record({
                t: fc.constantFrom('ping', 'lsa', 'req', 'res', 'ready'),
                x: fc.anything(),
              }),
              fc.uint8Array({ maxLength: 200 }),
            ),
            { minLength: 1, maxLength: 6 },
          ),
          async (frames) => {
            const upgraded: TlsRole[] = [];
            const t = spyTlsUpgrades(
              createTcpTransport({ host: '127.0.0.1', port: 0, discoveryPort: false }),
              upgraded,
            );
            const raw = await t.dial(b.address);
            const r = await keyHolderHandshake(raw, 'keyholder');
            // the frames below really travel sealed by TLS, as a peer's would
            expect(upgraded).toEqual(['client']);
            r?.link.attach({ frame: () => {}, close: () => {} });
            if (r) await sendEach(r.link, frames);
            await t.close();
          },
        ),
        { numRuns: 30 },
      );
    });
  });
});
