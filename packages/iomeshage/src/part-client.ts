// Requests parts over `iomesh/1` streams, keeping a few idle streams per
// source so consecutive parts reuse one connection.
import type { Duplex } from 'node:stream';
import type { BufferPool } from './buffer-pool.js';
import { BadPartError } from './errors.js';
import { hashPart, type Manifest, partRange } from './hashing.js';
import type { StreamMesh } from './mesh-port.js';
import { StreamReader } from './stream-reader.js';
import { PartResponse, readHeader, STREAM_PROTOCOL, writeFrame } from './wire.js';

interface Conn {
  stream: Duplex;
  reader: StreamReader;
}

const MAX_IDLE_PER_HOST = 4;

export class PartClient {
  readonly #idle = new Map<string, Conn[]>();

  constructor(
    readonly mesh: StreamMesh,
    /** where part data lands; the caller gives each part back once written */
    readonly pool: BufferPool,
    readonly timeoutMs = 30_000,
  ) {}

  async #connect(host: string, signal: AbortSignal): Promise<Conn> {
    const stream = await this.mesh.openStream(host, STREAM_PROTOCOL, { signal });
    stream.on('error', () => {}); // surfaced by the reader
    return { stream, reader: new StreamReader(stream) };
  }

  /** part `index` of `m` from `host`, verified against its hash, in a buffer of `pool` */
  async fetch(host: string, m: Manifest, index: number, signal: AbortSignal): Promise<Buffer> {
    const idle = this.#idle.get(host) ?? [];
    let c = idle.pop();
    while (c?.stream.destroyed) c = idle.pop();
    c ??= await this.#connect(host, signal);
    const conn = c;
    const timer = setTimeout(
      () => conn.stream.destroy(new Error(`no answer from ${host} in ${this.timeoutMs / 1000} s`)),
      this.timeoutMs,
    );
    const onAbort = () => conn.stream.destroy(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await writeFrame(conn.stream, { hash: m.hash, index });
      const h = PartResponse.safeParse(await readHeader(conn.reader));
      if (!h.success) throw new BadPartError(`bad part header from ${host}`);
      if (!h.data.ok) throw new BadPartError(`${host}: ${h.data.error}`);
      const [s, e] = partRange(m.size, m.partSize, index);
      if (h.data.length !== e - s) {
        throw new BadPartError(
          `${host} sent ${h.data.length} bytes for part ${index}, want ${e - s}`,
        );
      }
      const data = this.pool.take(h.data.length);
      try {
        await conn.reader.read(h.data.length, false, data);
        if (hashPart(data) !== m.parts[index]) {
          // a corrupt part: refetched (from another holder) by the caller
          throw new BadPartError(`part ${index} from ${host} does not match its hash`);
        }
      } catch (e) {
        this.pool.release(data);
        throw e;
      }
      const pool = this.#idle.get(host) ?? [];
      if (pool.length < MAX_IDLE_PER_HOST) {
        pool.push(conn);
        this.#idle.set(host, pool);
      } else conn.stream.end();
      return data;
    } catch (e) {
      conn.stream.destroy();
      throw e;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  close(): void {
    for (const conns of this.#idle.values()) for (const c of conns) c.stream.destroy();
    this.#idle.clear();
  }
}
