// The file operations a transfer performs, behind one small interface so
// tests can substitute a disk that fills up (ENOSPC) or fails.
import { constants } from 'node:fs';
import { chmod, type FileHandle, mkdir, open, rename, rm, statfs, utimes } from 'node:fs/promises';
import { execa } from 'execa';
import { DIRECT_ALIGN, isAligned } from './buffer-pool.js';

export interface PartFile {
  write(data: Uint8Array, position: number): Promise<void>;
  /** `pieces` back to back from `position`, in one call where the file allows */
  writev?(pieces: readonly Uint8Array[], position: number): Promise<void>;
  /** up to `length` bytes at `position` (into `into` when given) */
  read(length: number, position: number, into?: Buffer): Promise<Buffer>;
  /** fill `pieces` back to back from `position`; resolves with the bytes read (short at the end of the file) */
  readv?(pieces: readonly Buffer[], position: number): Promise<number>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface TransferFs {
  /** bytes an unprivileged writer may still use on the filesystem of `dir` */
  freeBytes(dir: string): Promise<number>;
  /** create `path` (if missing) and reserve `size` bytes for it */
  allocate(path: string, size: number): Promise<void>;
  open(path: string): Promise<PartFile>;
  mkdir(path: string, mode: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  utimes(path: string, mtimeMs: number): Promise<void>;
}

export const nodeFs: TransferFs = {
  async freeBytes(dir) {
    const s = await statfs(dir);
    return s.bavail * s.bsize;
  },
  async allocate(path, size) {
    const h = await open(path, 'a');
    await h.close();
    if (size === 0) return;
    // fallocate reserves the blocks now, so a full disk shows up before any
    // byte moves; filesystems without it get a sparse file of the right size
    const r = await execa('fallocate', ['-l', String(size), path], { reject: false });
    if (r.exitCode !== 0) {
      if (/No space left/i.test(String(r.stderr))) {
        throw Object.assign(new Error(`fallocate ${path}: no space left on device`), {
          code: 'ENOSPC',
        });
      }
      const t = await open(path, 'r+');
      try {
        await t.truncate(size);
      } finally {
        await t.close();
      }
    }
  },
  async open(path) {
    const f = await openPartFile(path, 'r+');
    return {
      write: (data, position) => f.write(data, position),
      writev: (pieces, position) => f.writev(pieces, position),
      read: (length, position, into) => f.read(length, position, into),
      readv: (pieces, position) => f.readv(pieces, position),
      sync: () => f.buffered.sync(),
      close: () => f.close(),
    };
  },
  async mkdir(path, mode) {
    await mkdir(path, { recursive: true, mode });
  },
  rename: (a, b) => rename(a, b),
  rm: (p) => rm(p, { force: true, recursive: true }),
  chmod: (p, m) => chmod(p, m),
  utimes: (p, mtimeMs) => utimes(p, new Date(), new Date(mtimeMs)),
};

export function isNoSpace(e: unknown): boolean {
  return (e as { code?: string } | null)?.code === 'ENOSPC';
}

/**
 * A file read and written by parts: aligned parts (page-aligned pool buffers
 * at aligned offsets) go through an O_DIRECT handle, the rest through the
 * page cache. Why: on these machines putting bytes into fresh page-cache pages
 * costs about 2 ms of CPU per MiB (then writeback on top), more than all the
 * rest of a part's way; O_DIRECT moves the part between its buffer and the
 * disk without that, and a receiver's parts are read back (to serve them to
 * other receivers) the same way. Filesystems without O_DIRECT (tmpfs on some
 * kernels) use the page cache for everything.
 */
export interface PartHandle {
  readonly buffered: FileHandle;
  readonly direct: FileHandle | undefined;
  write(data: Uint8Array, position: number): Promise<void>;
  /** one pwritev (O_DIRECT when every piece and the position are aligned): one disk request, not one per piece */
  writev(pieces: readonly Uint8Array[], position: number): Promise<void>;
  read(length: number, position: number, into?: Buffer): Promise<Buffer>;
  /**
   * one preadv (O_DIRECT when every piece and the position are aligned,
   * unless `cached`: through the page cache); the bytes read
   */
  readv(pieces: readonly Buffer[], position: number, cached?: boolean): Promise<number>;
  close(): Promise<void>;
}

export async function openPartFile(path: string, flags: 'r' | 'r+'): Promise<PartHandle> {
  const buffered = await open(path, flags);
  let direct: FileHandle | undefined;
  if (constants.O_DIRECT) {
    const mode = flags === 'r' ? constants.O_RDONLY : constants.O_RDWR;
    direct = await open(path, mode | constants.O_DIRECT).catch(() => undefined);
  }
  /**
   * `buf` filled from `off` through the page cache, `position` being where
   * buf[0] sits in the file; the offset reached, short only at the end of
   * the file
   */
  const fillBuffered = async (buf: Buffer, off: number, position: number): Promise<number> => {
    while (off < buf.length) {
      const { bytesRead } = await buffered.read(buf, off, buf.length - off, position + off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return off;
  };
  const useDirect = (b: Uint8Array, position: number) =>
    direct !== undefined && position % DIRECT_ALIGN === 0 && isAligned(b);
  const handle: PartHandle = {
    buffered,
    direct,
    async write(data, position) {
      let off = 0;
      if (useDirect(data, position)) {
        const { bytesWritten } = await (direct as FileHandle).write(data, 0, data.length, position);
        off = bytesWritten;
      }
      // unaligned data, or what a short direct write left
      while (off < data.length) {
        const { bytesWritten } = await buffered.write(data, off, data.length - off, position + off);
        off += bytesWritten;
      }
    },
    async writev(pieces, position) {
      const total = pieces.reduce((n, p) => n + p.length, 0);
      const all = direct !== undefined && position % DIRECT_ALIGN === 0 && pieces.every(isAligned);
      const { bytesWritten } = await (all ? (direct as FileHandle) : buffered).writev(
        pieces as Uint8Array[],
        position,
      );
      if (bytesWritten === total) return;
      // short: the rest piece by piece through the page cache
      let at = 0;
      for (const p of pieces) {
        const skip = Math.min(p.length, Math.max(0, bytesWritten - at));
        let off = skip;
        while (off < p.length) {
          const r = await buffered.write(p, off, p.length - off, position + at + off);
          off += r.bytesWritten;
        }
        at += p.length;
      }
    },
    async read(length, position, into) {
      const buf = into ? into.subarray(0, length) : Buffer.allocUnsafe(length);
      let off = 0;
      if (useDirect(buf, position)) {
        const { bytesRead } = await (direct as FileHandle).read(buf, 0, length, position);
        // short: the end of the file (or a file cut meanwhile); the rest, if any, buffered
        if (bytesRead === 0) return buf.subarray(0, 0);
        off = bytesRead;
      }
      return buf.subarray(0, await fillBuffered(buf, off, position));
    },
    async readv(pieces, position, cached = false) {
      const total = pieces.reduce((n, p) => n + p.length, 0);
      const via = cached
        ? buffered
        : direct !== undefined && position % DIRECT_ALIGN === 0 && pieces.every(isAligned)
          ? direct
          : undefined;
      let got = via ? (await via.readv(pieces as Buffer[], position)).bytesRead : 0;
      if (got === total || (via && got === 0)) return got;
      // what the one preadv left (short), or unaligned pieces (a file's last
      // part): piece by piece, up to the end of the file, through the page
      // cache when `cached`
      for (let i = 0, at = 0; i < pieces.length; at += (pieces[i] as Buffer).length, i++) {
        const p = pieces[i] as Buffer;
        if (got >= at + p.length) continue;
        const skip = Math.max(0, got - at);
        const end = cached
          ? await fillBuffered(p, skip, position + at)
          : skip +
            (await handle.read(p.length - skip, position + at + skip, p.subarray(skip))).length;
        got += end - skip;
        if (end < p.length) break;
      }
      return got;
    },
    async close() {
      await Promise.allSettled([buffered.close(), direct?.close()]);
    },
  };
  return handle;
}
