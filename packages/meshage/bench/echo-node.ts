// The node both private-mesh benches run: TCP on loopback (no discovery),
// clear or keyed, answering Echo requests with their body and counting what
// a 'sink/1' stream carries (its end answers the byte count) and giving its
// chunks back to the receive pool, as a real consumer (iomeshage) does.
import {
  createMesh,
  createTcpTransport,
  defineKind,
  type Mesh,
  recycleStreamChunk,
} from '../src/index.js';

export const Echo = defineKind<unknown, unknown>('bench.echo');
const KEY = Buffer.from('benchmark mesh key, 32 bytes....');

export async function echoNode(name: string, keyed: boolean, deadAfterMs: number): Promise<Mesh> {
  const m = await createMesh({
    name,
    transport: createTcpTransport({ host: '127.0.0.1', port: 0, discoveryPort: false }),
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
  return m;
}
