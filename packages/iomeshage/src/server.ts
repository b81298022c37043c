// What this node answers to others: INFO (what matches), MANIFEST (its
// version of a file), HAVE (which parts of a content hash it can serve) and
// the part streams themselves.

import { stat } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { recycleStreamChunk, STREAM_CHUNK, takeStreamChunk } from '@mm/meshage';
import { HandleCache } from './handle-cache.js';
import type { HashCache, Manifest } from './hashing.js';
import { partRange } from './hashing.js';
import { list } from './listing.js';
import type { IomeshMesh } from './mesh-port.js';
import { cleanPath, cleanRel, resolvesInside } from './paths.js';
import type { RecentPart, RecentParts } from './recent-parts.js';
import { StreamReader } from './stream-reader.js';
import type { Transfer } from './transfer.js';
import {
  type Have,
  HaveKind,
  InfoKind,
  ManifestKind,
  PartRequest,
  readHeader,
  STREAM_PROTOCOL,
  writeFrame,
} from './wire.js';

export interface ServerState {
  dir: string;
  /** parts received or read here a moment ago, served from memory */
  recent?: RecentParts;
  hashes: HashCache;
  /** in-progress transfers by content hash */
  receiving(hash: string): Transfer | undefined;
  /** in-progress transfer of a name */
  receivingName(name: string): Transfer | undefined;
  log(msg: string): void;
}

/** how long a served file's check holds, ms */
const CHECK_MS = 1000;

type Whole = NonNullable<Awaited<ReturnType<HashCache['pathOf']>>>;

export function serve(mesh: IomeshMesh, st: ServerState): { close(): void; load(): number } {
  let uploads = 0;
  const files = new HandleCache();

  const have = async (hash: string): Promise<Have | null> => {
    if (await st.hashes.pathOf(hash)) return { hash, complete: true, done: [], load: uploads };
    const t = st.receiving(hash);
    if (t) return { hash, complete: false, done: t.partsDone(), load: uploads };
    return null;
  };

  const offInfo = mesh.handle(InfoKind, async ({ pattern }) => {
    const all = await list(st.dir, pattern, { recurse: true, dirs: true });
    const inside = await Promise.all(all.map((e) => resolvesInside(st.dir, e.path)));
    const entries = all.filter((_, i) => inside[i]);
    return {
      entries: entries.map((e) => ({
        name: e.rel,
        dir: e.dir,
        size: e.size,
        mtimeMs: e.mtimeMs,
        mode: e.mode,
      })),
    };
  });

  const offManifest = mesh.handle(ManifestKind, async ({ name }) => {
    const rel = cleanRel(name);
    let file: { mtimeMs: number; mode: number; manifest: Manifest } | null = null;
    try {
      const path = cleanPath(st.dir, rel);
      const s = await stat(path);
      if (s.isFile() && (await resolvesInside(st.dir, path))) {
        file = {
          mtimeMs: s.mtimeMs,
          mode: s.mode & 0o7777,
          manifest: await st.hashes.manifest(path),
        };
      }
    } catch {
      // not here
    }
    const t = st.receivingName(rel);
    const receiving =
      t && t.state === 'running'
        ? { hash: t.hash, complete: false, done: t.partsDone(), load: uploads }
        : null;
    return { file, receiving };
  });

  const offHave = mesh.handle(HaveKind, ({ hash }) => have(hash));

  /**
   * The complete file holding `hash`, checked (stat, still inside the
   * directory) at most every CHECK_MS: a transfer asks for its parts one
   * after another, and two file operations per part were thread-pool round
   * trips. A file changed meanwhile serves bytes its receiver's hash check
   * refuses (it refetches elsewhere), never bytes taken as good.
   */
  const checked = new Map<string, { at: number; whole: Whole }>();
  const wholeFile = async (hash: string): Promise<Whole | undefined> => {
    const c = checked.get(hash);
    if (c && Date.now() - c.at < CHECK_MS) return c.whole;
    const found = await st.hashes.pathOf(hash);
    const whole = found && (await resolvesInside(st.dir, found.path)) ? found : undefined;
    // only a found file is remembered: one completing here is served at once
    if (whole) {
      if (checked.size > 64) checked.clear();
      checked.set(hash, { at: Date.now(), whole });
    }
    return whole;
  };

  /** a part read from disk into `pieces` (pooled stream chunks), kept for the next asker when there is room */
  const hold = (hash: string, index: number, pieces: Buffer[]): RecentPart => {
    const free = () => {
      for (const p of pieces) recycleStreamChunk(p);
    };
    if (st.recent?.put(hash, index, pieces, free)) {
      const r = st.recent.borrow(hash, index);
      if (r) return r;
    }
    return { pieces, done: free };
  };

  /**
   * `length` bytes read by `read` into pooled stream chunks: the buffers
   * received stream data lands in, so serving and receiving share one set of
   * pages (a fresh page costs more than the bytes moved through it); the
   * chunks, or undefined when fewer bytes were there
   */
  const readChunks = async (
    length: number,
    read: (pieces: Buffer[]) => Promise<number | undefined>,
  ): Promise<Buffer[] | undefined> => {
    const pieces: Buffer[] = [];
    for (let off = 0; off < length; off += STREAM_CHUNK) {
      pieces.push(takeStreamChunk(Math.min(STREAM_CHUNK, length - off)));
    }
    let n: number | undefined;
    try {
      n = await read(pieces);
    } finally {
      if (n !== length) for (const p of pieces) recycleStreamChunk(p);
    }
    return n === length ? pieces : undefined;
  };

  /** the part's bytes (the caller calls done() once sent), or why not */
  const servePart = async (hash: string, index: number): Promise<RecentPart | string> => {
    // received (or read) here a moment ago: from memory, no disk read
    const recent = st.recent?.borrow(hash, index);
    if (recent) return recent;
    const whole = await wholeFile(hash);
    if (whole) {
      const m = whole.manifest;
      if (index >= m.parts.length) return `no part ${index}`;
      const [s, e] = partRange(m.size, m.partSize, index);
      // a complete file through the page cache: it was read there a moment ago
      // (hashed when first served, or just written) and is sent several times
      // over (every receiver asks the origin for some parts): a copy from
      // memory, ~0.1 ms per MiB, where an O_DIRECT read goes to the disk
      // every time (~10x the wall time, twice the CPU here)
      const pieces = await readChunks(e - s, (p) =>
        files.use(whole.path, whole.ino, (h) => h.readv(p, s, true)),
      );
      if (pieces) return hold(hash, index, pieces);
      return `part ${index} of ${hash.slice(0, 12)} could not be read whole`;
    }
    const t = st.receiving(hash);
    if (!t) return `part ${index} of ${hash.slice(0, 12)} is not here`;
    const pieces = await readChunks(t.partLength(index), (p) => t.readPartInto(index, p)).catch(
      () => undefined,
    );
    if (pieces) return hold(hash, index, pieces);
    return `part ${index} of ${hash.slice(0, 12)} is not here`;
  };

  const offStream = mesh.handleStream(STREAM_PROTOCOL, (stream: Duplex, ctx) => {
    stream.on('error', () => {});
    const reader = new StreamReader(stream);
    void (async () => {
      try {
        for (;;) {
          const raw = await readHeader(reader);
          if (raw === undefined || ctx.signal.aborted) break;
          const req = PartRequest.safeParse(raw);
          if (!req.success) {
            await writeFrame(stream, { ok: false, error: 'malformed part request' });
            continue;
          }
          uploads++;
          try {
            const r = await servePart(req.data.hash, req.data.index);
            if (typeof r === 'string') await writeFrame(stream, { ok: false, error: r });
            else {
              try {
                const length = r.pieces.reduce((n, p) => n + p.length, 0);
                await writeFrame(stream, { ok: true, length }, r.pieces);
              } finally {
                r.done();
              }
            }
          } finally {
            uploads--;
          }
        }
        stream.end();
      } catch (e) {
        st.log(`part stream from ${ctx.from}: ${(e as Error).message}`);
        stream.destroy();
      }
    })();
  });

  return {
    load: () => uploads,
    close() {
      offInfo();
      offManifest();
      offHave();
      offStream();
      files.close();
    },
  };
}
