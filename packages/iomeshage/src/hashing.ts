// Content identity. Every file served has a manifest: the SHA-256 of each
// part and a file hash over those part hashes (a hash list), so a receiver
// verifies each part on arrival and the whole file without a second read.
// Manifests are computed once and cached by (size, mtime, inode).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

/** Part size: smaller than minimega's 10 MiB so a swarm of receivers shares parts early. */
export const DEFAULT_PART_SIZE = 4 * 1024 * 1024;

export interface Manifest {
  size: number;
  partSize: number;
  /** hex SHA-256 of each part */
  parts: string[];
  /** hex content hash: SHA-256 over partSize and the part hashes */
  hash: string;
}

export function partCount(size: number, partSize: number): number {
  return Math.ceil(size / partSize);
}

/** byte range [start, end) of part `i` */
export function partRange(size: number, partSize: number, i: number): [number, number] {
  const start = i * partSize;
  return [start, Math.min(size, start + partSize)];
}

export function hashPart(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function fileHash(partSize: number, parts: readonly string[]): string {
  return createHash('sha256')
    .update(`iomesh/1 ${partSize}\n${parts.join('\n')}`)
    .digest('hex');
}

/** Hash a file part by part in one sequential read. */
export async function computeManifest(
  path: string,
  partSize: number,
  signal?: AbortSignal,
): Promise<Manifest> {
  const parts: string[] = [];
  let h = createHash('sha256');
  let inPart = 0;
  let size = 0;
  const rs = createReadStream(path, { highWaterMark: 1024 * 1024, ...(signal ? { signal } : {}) });
  for await (const chunk of rs as AsyncIterable<Buffer>) {
    let off = 0;
    while (off < chunk.length) {
      const take = Math.min(partSize - inPart, chunk.length - off);
      h.update(chunk.subarray(off, off + take));
      off += take;
      inPart += take;
      size += take;
      if (inPart === partSize) {
        parts.push(h.digest('hex'));
        h = createHash('sha256');
        inPart = 0;
      }
    }
  }
  if (inPart > 0) parts.push(h.digest('hex'));
  return { size, partSize, parts, hash: fileHash(partSize, parts) };
}

interface CacheEntry {
  size: number;
  mtimeMs: number;
  ino: number;
  manifest: Manifest;
}

/** Manifests by absolute path, valid while size, mtime and inode are unchanged. */
export class HashCache {
  readonly #byPath = new Map<string, CacheEntry>();
  readonly #inflight = new Map<string, Promise<Manifest>>();

  constructor(readonly partSize: number = DEFAULT_PART_SIZE) {}

  /** The cached hash of `path` if it is still valid for `st`, else ''. */
  peek(path: string, st: { size: number; mtimeMs: number; ino?: number }): string {
    const e = this.#byPath.get(path);
    if (!e || e.size !== st.size || e.mtimeMs !== st.mtimeMs) return '';
    if (st.ino !== undefined && e.ino !== st.ino) return '';
    return e.manifest.hash;
  }

  /** Record a manifest known to match the file now at `path` (after a verified transfer). */
  async seed(path: string, manifest: Manifest): Promise<void> {
    const st = await stat(path);
    this.#byPath.set(path, { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, manifest });
  }

  forget(path: string): void {
    this.#byPath.delete(path);
  }

  /** The manifest of `path`, computing it (once, shared by concurrent callers) when stale. */
  async manifest(path: string, signal?: AbortSignal): Promise<Manifest> {
    const st = await stat(path);
    const e = this.#byPath.get(path);
    if (e && e.size === st.size && e.mtimeMs === st.mtimeMs && e.ino === st.ino) return e.manifest;
    let p = this.#inflight.get(path);
    if (!p) {
      p = (async () => {
        const m = await computeManifest(path, this.partSize, signal);
        const after = await stat(path);
        // a file written while we read it gets hashed again on the next request
        if (after.size === st.size && after.mtimeMs === st.mtimeMs && after.ino === st.ino) {
          this.#byPath.set(path, { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, manifest: m });
        }
        return m;
      })().finally(() => this.#inflight.delete(path));
      this.#inflight.set(path, p);
    }
    return p;
  }

  /** A path whose cached manifest has `hash` and whose file is unchanged, if any. */
  async pathOf(
    hash: string,
  ): Promise<{ path: string; ino: number; manifest: Manifest } | undefined> {
    for (const [path, e] of this.#byPath) {
      if (e.manifest.hash !== hash) continue;
      try {
        const st = await stat(path);
        if (st.size === e.size && st.mtimeMs === e.mtimeMs && st.ino === e.ino) {
          return { path, ino: e.ino, manifest: e.manifest };
        }
      } catch {
        // gone
      }
      this.#byPath.delete(path);
    }
    return undefined;
  }
}
