// Recently received parts served from memory: the cache's bounds (bytes,
// age, parts in use never given back early) and, over real TCP, a receiver
// serving the frames it just verified instead of reading its disk.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMesh, createTcpTransport, type Mesh } from '@mm/meshage';
import { afterEach, describe, expect, test } from 'vitest';
import { createIomeshage, type Iomeshage } from '../src/index.js';
import { RecentParts } from '../src/recent-parts.js';
import { until } from './support.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('RecentParts', () => {
  test('bounded by bytes, oldest first; a borrowed part is freed only when its borrower is done', () => {
    const freed: number[] = [];
    const r = new RecentParts(25, 60_000);
    const part = (i: number) => [Buffer.alloc(10, i)];
    expect(r.put('h', 0, part(0), () => freed.push(0))).toBe(true);
    const b0 = r.borrow('h', 0);
    expect(b0?.pieces[0]?.[0]).toBe(0);
    expect(r.put('h', 1, part(1), () => freed.push(1))).toBe(true);
    // a third part pushes out the oldest, which is still being sent
    expect(r.put('h', 2, part(2), () => freed.push(2))).toBe(true);
    expect(r.borrow('h', 0)).toBeUndefined();
    expect(freed).toEqual([]);
    b0?.done();
    b0?.done();
    expect(freed).toEqual([0]);
    expect(r.bytes).toBe(20);
    // too big, or already held: not kept (the caller frees it)
    expect(r.put('h', 3, [Buffer.alloc(26)], () => freed.push(3))).toBe(false);
    expect(r.put('h', 1, part(1), () => freed.push(9))).toBe(false);
    r.clear();
    expect(freed.sort()).toEqual([0, 1, 2]);
    expect(r.bytes).toBe(0);
  });

  test('parts older than maxAgeMs are let go', async () => {
    const freed: number[] = [];
    const r = new RecentParts(1000, 40);
    r.put('h', 0, [Buffer.alloc(10)], () => freed.push(0));
    await until('the old part freed', () => freed.length === 1, 2000);
    expect(r.borrow('h', 0)).toBeUndefined();
  });
});

describe('a receiver serves the parts it just verified from memory', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** src -> r1 -> r2; r1's copy is then spoiled on disk (size, mtime, inode kept) and src leaves */
  async function spoiledRelay(
    keepRecentBytes?: number,
  ): Promise<{ data: Buffer; r2: Iomeshage; root: string }> {
    const root = await mkdtemp(join(tmpdir(), 'mm-iomesh-recent-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const context = `recent-${process.pid}-${Date.now()}`;
    const meshes: Mesh[] = [];
    for (const name of ['src', 'r1', 'r2']) {
      const transport = createTcpTransport({ host: '127.0.0.1', port: 0, discoveryPort: false });
      const m = await createMesh({ name, transport, context });
      meshes.push(m);
      cleanups.push(() => m.close());
    }
    const [src, r1] = meshes as [Mesh, Mesh, Mesh];
    await r1.dial(src.address);
    await (meshes[2] as Mesh).dial(r1.address);
    await until('the mesh converged', () => meshes.every((m) => m.size() === 3));
    const io: Iomeshage[] = [];
    for (const m of meshes) {
      const x = await createIomeshage({
        mesh: m,
        dir: join(root, m.name),
        partSize: 256 * 1024,
        keepRecentBytes,
      });
      io.push(x);
      cleanups.push(() => x.close());
    }
    const [sio, rio1, rio2] = io as [Iomeshage, Iomeshage, Iomeshage];
    const data = randomBytes(2 * 1024 * 1024);
    await writeFile(join(root, 'src', 'img'), data);
    await rio1.fetch('img');
    const p1 = join(root, 'r1', 'img');
    const before = await stat(p1);
    const h = await open(p1, 'r+');
    for (let off = 0; off < data.length; off += 256 * 1024) {
      await h.write(Buffer.alloc(64, 7), 0, 64, off);
    }
    await h.close();
    await utimes(p1, before.atime, before.mtime);
    await sio.close();
    return { data, r2: rio2, root };
  }

  test('its disk copy spoiled behind its back, the next receiver still gets intact parts', async () => {
    const { data, r2, root } = await spoiledRelay(32 * 1024 * 1024);
    await r2.fetch('img');
    expect(sha(await readFile(join(root, 'r2', 'img')))).toBe(sha(data));
  }, 60_000);

  test('without the memory copy the spoiled parts are refused and the get fails clearly (no endless retry)', async () => {
    const { r2, root } = await spoiledRelay(0);
    await expect(r2.fetch('img')).rejects.toMatchObject({ code: 'ERR_IOMESH_NO_SOURCE' });
    await expect(stat(join(root, 'r2', 'img'))).rejects.toMatchObject({ code: 'ENOENT' });
  }, 60_000);
});
