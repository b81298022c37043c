// The node both private-mesh benches run: TCP on loopback (no discovery),
// clear or keyed, answering Echo requests with their body and counting what
// a 'sink/1' stream carries (its end answers the byte count) and giving its
// chunks back to the receive pool, as a real consumer (iomeshage) does. A
// 'source/1' stream sends the opener as many bytes as the opener's request
// (a decimal count) asks for, 4 MiB per write from one reused buffer (as
// iomeshage serves a part).
import {
  createMesh,
  createTcpTransport,
  defineKind,
  type Mesh,
  recycleStreamChunk,
  type Transport,
} from '../src/index.js';
import { spyTlsUpgrades } from '../src/testing.js';

export const Echo = defineKind<unknown, unknown>('bench.echo');
const KEY = Buffer.from('benchmark mesh key, 32 bytes....');

/**
 * `noiseLinks`: keyed, but this node's links never offer or take TLS (as a
 * node from before TLS mesh links), so they stay on the Noise channel
 */
export async function echoNode(
  name: string,
  keyed: boolean,
  deadAfterMs: number,
  noiseLinks = false,
): Promise<Mesh> {
  const tcp = createTcpTransport({ host: '127.0.0.1', port: 0, discoveryPort: false });
  const m = await createMesh({
    name,
    transport: noiseLinks ? withoutTls(tcp) : tcp,
    ...(keyed ? { key: KEY } : {}),
    deadAfterMs,
  });
  m.handle(Echo, (b) => b);
  m.handleStream('sink/1', (s) => {
    let n = 0;
    s.on('data', (c: Buffer) => {
      n += c.length;
      recycleStreamChunk(c); // as iomeshage does once a chunk is written out
    });
    s.on('end', () => s.end(String(n)));
  });
  m.handleStream('source/1', (s) => {
    let ask = '';
    s.on('data', (c: Buffer) => (ask += c.toString()));
    s.on('end', async () => {
      const chunk = Buffer.alloc(4 * 1024 * 1024, 3);
      for (let left = Number(ask); left > 0; left -= chunk.length) {
        const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
        // one write in flight: the buffer is reused once its callback ran
        await new Promise<void>((r, j) => s.write(piece, (err) => (err ? j(err) : r())));
      }
      s.end();
    });
  });
  return m;
}

/** the transport, its links unable to upgrade to TLS */
const withoutTls = (inner: Transport): Transport => spyTlsUpgrades(inner, [], { noTls: true });
