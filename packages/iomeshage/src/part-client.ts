// Requests parts over `iomesh/1` streams, keeping a few idle streams per
// source so consecutive parts reuse one connection.

import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { recycleStreamChunk } from '@mm/meshage';
import { type BufferPool, isAligned } from './buffer-pool.js';
import { BadPartError } from './errors.js';
import type { PartFile } from './fsio.js';
import { hashPart, type Manifest, partRange } from './hashing.js';
import type { StreamMesh } from './mesh-port.js';
import type { RecentParts } from './recent-parts.js';
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
    /** verified parts that arrived whole in page-aligned frames are kept here to serve others */
    readonly recent?: RecentParts,
  ) {}

  async #connect(host: string, signal: AbortSignal): Promise<Conn> {
    const stream = await this.mesh.openStream(host, STREAM_PROTOCOL, { signal });
    stream.on('error', () => {}); // surfaced by the reader
    return { stream, reader: new StreamReader(stream) };
  }

  /** ask `host` for part `index` of `m` on an idle stream, then `body(conn, length)` reads it */
  async #exchange<T>(
    host: string,
    m: Manifest,
    index: number,
    signal: AbortSignal,
    body: (conn: Conn, length: number) => Promise<T>,
  ): Promise<T> {
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
      const out = await body(conn, h.data.length);
      const pool = this.#idle.get(host) ?? [];
      if (pool.length < MAX_IDLE_PER_HOST) {
        pool.push(conn);
        this.#idle.set(host, pool);
      } else conn.stream.end();
      return out;
    } catch (e) {
      conn.stream.destroy();
      throw e;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** part `index` of `m` from `host`, verified against its hash, in a buffer of `pool` */
  fetch(host: string, m: Manifest, index: number, signal: AbortSignal): Promise<Buffer> {
    return this.#exchange(host, m, index, signal, async (conn, length) => {
      const data = this.pool.take(length);
      try {
        await conn.reader.read(length, false, data);
        if (hashPart(data) !== m.parts[index]) {
          // a corrupt part: refetched (from another holder) by the caller
          throw new BadPartError(`part ${index} from ${host} does not match its hash`);
        }
      } catch (e) {
        this.pool.release(data);
        throw e;
      }
      return data;
    });
  }

  /**
   * Part `index` of `m` from `host`, verified against its hash, then written
   * into `file` at its offset (a mismatch is an error and nothing is
   * written). Whole page-aligned stream chunks (clear streams) are held as
   * they arrived and written with one O_DIRECT pwritev, no copy (one write
   * per chunk costs a disk request each: a VM exit apiece here); other
   * pieces (sealed streams, odd splits) are copied into a pooled part
   * buffer. The stream is free for the next request as soon as the part is
   * verified (`arrived` is called then): the disk write overlaps the next
   * part's transfer instead of stalling the stream.
   */
  async fetchTo(
    host: string,
    m: Manifest,
    index: number,
    signal: AbortSignal,
    file: PartFile,
    arrived?: () => void,
  ): Promise<number> {
    const got = await this.#exchange(host, m, index, signal, (conn, length) =>
      this.#receive(conn, length, m, index, host),
    );
    arrived?.();
    const [start] = partRange(m.size, m.partSize, index);
    const { held, copy, copyFrom, length } = got;
    let kept = false;
    try {
      if (held.length > 0) {
        if (file.writev) await file.writev(held, start);
        else
          for (let i = 0, at = start; i < held.length; at += (held[i] as Buffer).length, i++) {
            await file.write(held[i] as Buffer, at);
          }
      }
      if (copy) await file.write(copy.subarray(copyFrom, length), start + copyFrom);
      // on disk: other receivers will soon ask for it, served from these frames
      kept =
        !copy &&
        this.recent?.put(m.hash, index, held, () => {
          for (const c of held) recycleStreamChunk(c);
        }) === true;
    } finally {
      if (!kept) for (const c of held) recycleStreamChunk(c);
      if (copy) this.pool.release(copy);
    }
    return length;
  }

  /** the part's bytes off the stream, hashed as they arrive; only a verified part is returned */
  async #receive(
    conn: Conn,
    length: number,
    m: Manifest,
    index: number,
    host: string,
  ): Promise<{ held: Buffer[]; copy: Buffer | undefined; copyFrom: number; length: number }> {
    const hash = createHash('sha256');
    /** whole aligned chunks from the part's start, held until written */
    const held: Buffer[] = [];
    let copy: Buffer | undefined;
    let copyFrom = 0;
    let off = 0;
    try {
      await conn.reader.consume(length, (piece, own) => {
        hash.update(piece);
        if (!copy && own && isAligned(piece)) held.push(piece);
        else {
          if (!copy) {
            copy = this.pool.take(length);
            copyFrom = off;
          }
          piece.copy(copy, off);
          if (own) recycleStreamChunk(piece);
        }
        off += piece.length;
      });
      if (hash.digest('hex') !== m.parts[index]) {
        // a corrupt part: refetched (from another holder) by the caller, nothing written
        throw new BadPartError(`part ${index} from ${host} does not match its hash`);
      }
    } catch (e) {
      for (const c of held) recycleStreamChunk(c);
      if (copy) this.pool.release(copy);
      throw e;
    }
    return { held, copy, copyFrom, length };
  }

  close(): void {
    for (const conns of this.#idle.values()) for (const c of conns) c.stream.destroy();
    this.#idle.clear();
  }
}
