// Parts moved with O_DIRECT (page-aligned pool buffers at aligned offsets),
// everything else through the page cache, and served files kept open.
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Duplex, PassThrough } from 'node:stream';
import { recycleStreamChunk, takeStreamChunk } from '@mm/meshage';
import { describe, expect, test, vi } from 'vitest';
import { tempDir } from '#test-support';
import { BufferPool, DIRECT_ALIGN, isAligned } from '../src/buffer-pool.js';
import { nodeFs, openPartFile } from '../src/fsio.js';
import { HandleCache } from '../src/handle-cache.js';
import { hashPart, type Manifest } from '../src/hashing.js';
import { PartClient } from '../src/part-client.js';

/** a mesh with one source that answers every part request with `payload` (in `chunk`-byte pieces) */
function oneSource(payload: Buffer, chunk: number) {
  return {
    handleStream: () => () => {},
    async openStream() {
      const c2s = new PassThrough();
      const s2c = new PassThrough();
      c2s.once('data', () => {
        const json = Buffer.from(JSON.stringify({ ok: true, length: payload.length }));
        const head = Buffer.alloc(4);
        head.writeUInt32BE(json.length);
        s2c.write(Buffer.concat([head, json]));
        for (let o = 0; o < payload.length; o += chunk) s2c.write(payload.subarray(o, o + chunk));
      });
      return Duplex.from({ readable: s2c, writable: c2s });
    },
  };
}

describe('direct part I/O', () => {
  test('pool buffers qualify for O_DIRECT; plain Buffers, odd lengths and views do not', () => {
    const pool = new BufferPool(64 * 1024, 2);
    const b = pool.take(64 * 1024);
    expect(isAligned(b)).toBe(true);
    expect(isAligned(pool.take(100))).toBe(false);
    expect(isAligned(b.subarray(512))).toBe(false);
    expect(isAligned(Buffer.alloc(64 * 1024))).toBe(false);
    pool.release(b);
    // the same memory comes back
    expect(pool.take(64 * 1024).buffer).toBe(b.buffer);
  });

  test('aligned parts go through the O_DIRECT handle, the unaligned tail through the page cache; both read back intact', async () => {
    await using d = await tempDir('mm-direct-');
    const path = join(d.path, 'f');
    const size = 2 * 64 * 1024 + 1000;
    await writeFile(path, Buffer.alloc(size));
    const data = randomBytes(size);
    const pool = new BufferPool(64 * 1024, 4);
    const f = await openPartFile(path, 'r+');
    try {
      // /tmp here is ext4; a filesystem without O_DIRECT would fall back to buffered I/O
      expect(f.direct).toBeDefined();
      const direct = vi.spyOn(f.direct!, 'write');
      const parts = [0, 1, 2].map((i) => {
        const chunk = data.subarray(i * 65536, Math.min(size, (i + 1) * 65536));
        const b = pool.take(chunk.length);
        chunk.copy(b);
        return b;
      });
      await f.write(parts[0]!, 0);
      await f.write(parts[1]!, 65536);
      expect(direct).toHaveBeenCalledTimes(2);
      await f.write(parts[2]!, 131072);
      expect(direct).toHaveBeenCalledTimes(2);
      const reads = vi.spyOn(f.direct!, 'read');
      const back = pool.take(65536);
      expect((await f.read(65536, 65536, back)).equals(data.subarray(65536, 131072))).toBe(true);
      expect(reads).toHaveBeenCalledTimes(1);
      // the tail: fewer bytes than asked, at the end of the file
      expect((await f.read(65536, 131072, back)).equals(data.subarray(131072))).toBe(true);
      await f.buffered.sync();
    } finally {
      await f.close();
    }
    expect((await readFile(path)).equals(data)).toBe(true);
    expect(DIRECT_ALIGN % 512).toBe(0);
  });

  test('readv: aligned pieces in one O_DIRECT preadv, or through the page cache when asked; an unaligned tail and the end of the file through the page cache', async () => {
    await using d = await tempDir('mm-readv-');
    const path = join(d.path, 'f');
    const size = 3 * 65536 + 1000;
    const data = randomBytes(size);
    await writeFile(path, data);
    const f = await openPartFile(path, 'r');
    try {
      expect(f.direct).toBeDefined();
      const direct = vi.spyOn(f.direct!, 'readv');
      const pieces = [takeStreamChunk(65536), takeStreamChunk(65536)];
      expect(await f.readv(pieces, 65536)).toBe(2 * 65536);
      expect(direct).toHaveBeenCalledTimes(1);
      expect(Buffer.concat(pieces).equals(data.subarray(65536, 3 * 65536))).toBe(true);
      // the file's last part: an aligned piece then an odd-length one
      const last = [takeStreamChunk(65536), takeStreamChunk(1000)];
      expect(await f.readv(last, 2 * 65536)).toBe(65536 + 1000);
      expect(Buffer.concat(last).equals(data.subarray(2 * 65536))).toBe(true);
      // past the end: short
      const over = [takeStreamChunk(65536), takeStreamChunk(65536)];
      expect(await f.readv(over, 3 * 65536)).toBe(1000);
      expect(over[0]!.subarray(0, 1000).equals(data.subarray(3 * 65536))).toBe(true);
      // `cached`: a complete file served again and again goes through the page cache
      const viaCache = vi.spyOn(f.buffered, 'readv');
      const again = [takeStreamChunk(65536), takeStreamChunk(65536)];
      expect(await f.readv(again, 0, true)).toBe(2 * 65536);
      expect(direct).toHaveBeenCalledTimes(2);
      expect(viaCache).toHaveBeenCalledTimes(1);
      expect(Buffer.concat(again).equals(data.subarray(0, 2 * 65536))).toBe(true);
      const tail = [takeStreamChunk(65536), takeStreamChunk(65536)];
      expect(await f.readv(tail, 2 * 65536, true)).toBe(65536 + 1000);
      expect(direct).toHaveBeenCalledTimes(2);
      expect(
        Buffer.concat(tail)
          .subarray(0, 65536 + 1000)
          .equals(data.subarray(2 * 65536)),
      ).toBe(true);
      for (const p of [...pieces, ...last, ...over, ...again, ...tail]) recycleStreamChunk(p);
    } finally {
      await f.close();
    }
  });

  test('served files stay open between parts; a replaced file is opened anew', async () => {
    await using d = await tempDir('mm-handles-');
    const path = join(d.path, 'f');
    await writeFile(path, 'one');
    const cache = new HandleCache(60_000);
    try {
      const { stat } = await import('node:fs/promises');
      const ino1 = (await stat(path)).ino;
      const h1 = await cache.use(path, ino1, async (h) => h);
      const h2 = await cache.use(path, ino1, async (h) => h);
      expect(h2).toBe(h1);
      expect((await cache.use(path, ino1, (h) => h.read(3, 0))).toString()).toBe('one');
      await writeFile(join(d.path, 'g'), 'two');
      await rename(join(d.path, 'g'), path);
      const ino2 = (await stat(path)).ino;
      expect(ino2).not.toBe(ino1);
      expect((await cache.use(path, ino2, (h) => h.read(3, 0))).toString()).toBe('two');
    } finally {
      cache.close();
    }
  });

  test('fetchTo: a part is verified before any byte reaches the file; a corrupt one is an error and writes nothing', async () => {
    await using d = await tempDir('mm-fetchto-');
    const path = join(d.path, 'f');
    const part = 64 * 1024;
    const data = randomBytes(2 * part);
    const m: Manifest = {
      size: data.length,
      partSize: part,
      parts: [hashPart(data.subarray(0, part)), hashPart(data.subarray(part))],
      hash: 'a'.repeat(64),
    };
    await writeFile(path, Buffer.alloc(data.length));
    const pool = new BufferPool(part, 4);
    const bad = Buffer.from(data.subarray(part));
    bad[1000] = (bad[1000] as number) ^ 1;
    const ac = new AbortController();
    const f = await nodeFs.open(path);
    try {
      const good = new PartClient(oneSource(data.subarray(0, part), 5000), pool);
      expect(await good.fetchTo('n1', m, 0, ac.signal, f)).toBe(part);
      const liar = new PartClient(oneSource(bad, 5000), pool);
      await expect(liar.fetchTo('n2', m, 1, ac.signal, f)).rejects.toMatchObject({
        code: 'ERR_IOMESH_BAD_PART',
      });
      good.close();
      liar.close();
    } finally {
      await f.close();
    }
    const back = await readFile(path);
    expect(back.subarray(0, part).equals(data.subarray(0, part))).toBe(true);
    expect(back.subarray(part).equals(Buffer.alloc(part))).toBe(true);
  });
});
