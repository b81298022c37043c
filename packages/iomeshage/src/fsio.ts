// The file operations a transfer performs, behind one small interface so
// tests can substitute a disk that fills up (ENOSPC) or fails.
import { chmod, mkdir, open, rename, rm, statfs, utimes } from 'node:fs/promises';
import { execa } from 'execa';

export interface PartFile {
  write(data: Uint8Array, position: number): Promise<void>;
  /** up to `length` bytes at `position` (into `into` when given) */
  read(length: number, position: number, into?: Buffer): Promise<Buffer>;
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
    const h = await open(path, 'r+');
    return {
      async write(data, position) {
        let off = 0;
        while (off < data.length) {
          const { bytesWritten } = await h.write(data, off, data.length - off, position + off);
          off += bytesWritten;
        }
      },
      async read(length, position, into) {
        const buf = into ? into.subarray(0, length) : Buffer.allocUnsafe(length);
        let off = 0;
        while (off < length) {
          const { bytesRead } = await h.read(buf, off, length - off, position + off);
          if (bytesRead === 0) break;
          off += bytesRead;
        }
        return buf.subarray(0, off);
      },
      sync: () => h.sync(),
      close: () => h.close(),
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
