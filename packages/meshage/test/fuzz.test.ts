// Garbage and truncated frames on the mesh TCP port and garbage datagrams on
// the UDP port never crash a node; it keeps serving its real peers.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createMesh,
  createTcpTransport,
  defineKind,
  encodeFrame,
  type Mesh,
} from '../src/index.js';
import { discoveryPortFor, uniqueContext, until } from './util.js';

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
});
