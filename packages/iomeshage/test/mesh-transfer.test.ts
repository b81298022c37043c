// Transfers between in-memory mesh nodes: single files, directories with
// modes, stale copies, not found, a swarm of 20 receivers, a dying source.
import { createHash, randomBytes } from 'node:crypto';
import {
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryNetwork, createMesh } from '@mm/meshage';
import { describe, expect, test } from 'vitest';
import { createIomeshage } from '../src/index.js';
import { type Node, startSwarm, until } from './support.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const PART = 64 * 1024;

async function put(n: Node, name: string, data: Uint8Array, mode = 0o644): Promise<void> {
  const p = join(n.dir, name);
  await mkdir(join(p, '..'), { recursive: true });
  await writeFile(p, data);
  await chmod(p, mode);
}

describe('iomeshage over an in-memory mesh', () => {
  test('get pulls a file with its mode and mtime; no temp file stays behind', async () => {
    await using s = await startSwarm(3, { partSize: PART });
    const [a, b] = s.nodes as [Node, Node];
    const data = randomBytes(PART * 5 + 123);
    await put(a, 'img/disk.qcow2', data, 0o640);
    const path = await b.io.fetch('img/disk.qcow2');
    expect(path).toBe(join(b.dir, 'img/disk.qcow2'));
    expect(sha(await readFile(path))).toBe(sha(data));
    const [sa, sb] = await Promise.all([stat(join(a.dir, 'img/disk.qcow2')), stat(path)]);
    expect(sb.mode & 0o777).toBe(0o640);
    expect(Math.round(sb.mtimeMs)).toBe(Math.round(sa.mtimeMs));
    expect(await readdir(join(b.dir, '.iomesh'))).toEqual([]);
    expect(b.io.status()).toEqual([]);
  });

  test('file not found, on one node and on many; an empty file arrives empty', async () => {
    await using s = await startSwarm(2, { partSize: PART });
    const [a, b] = s.nodes as [Node, Node];
    await expect(b.io.get('nope')).rejects.toMatchObject({
      code: 'ERR_IOMESH_NOT_FOUND',
      message: 'get nope: file not found',
    });
    await expect(b.io.get('/nope')).rejects.toMatchObject({
      message: 'get /nope: file not found',
    });
    await expect(b.io.get('[')).rejects.toMatchObject({ message: 'syntax error in pattern' });
    await put(a, 'empty', new Uint8Array());
    await b.io.fetch('empty');
    expect((await stat(join(b.dir, 'empty'))).size).toBe(0);
  });

  test('empty files of a directory are in place when get returns (upstream distributed `file`)', async () => {
    await using s = await startSwarm(2, { partSize: PART, maxTransfers: 1 });
    const [a, b] = s.nodes as [Node, Node];
    // a big file holds the only transfer slot: the empty ones must not wait for it
    await put(a, 'dir/big', randomBytes(PART * 40));
    for (const n of ['a', 'b', 'c']) await put(a, `dir/${n}`, new Uint8Array(), 0o600);
    const ts = await b.io.get('dir');
    const listed = (await b.io.list('dir')).map((e) => e.name).sort();
    expect(listed).toEqual(expect.arrayContaining(['dir/a', 'dir/b', 'dir/c']));
    expect((await stat(join(b.dir, 'dir/c'))).mode & 0o777).toBe(0o600);
    await Promise.all(ts.map((t) => t.done));
    expect((await b.io.list('dir')).map((e) => e.name).sort()).toEqual([
      'dir/a',
      'dir/b',
      'dir/big',
      'dir/c',
    ]);
  });

  test('a directory with subdirectories arrives whole, with file and directory modes', async () => {
    await using s = await startSwarm(3, { partSize: PART });
    const [a, , c] = s.nodes as [Node, Node, Node];
    await put(a, 'tree/x.sh', randomBytes(1000), 0o755);
    await put(a, 'tree/sub/deeper/y', randomBytes(PART * 2), 0o600);
    await mkdir(join(a.dir, 'tree/sub/empty'), { recursive: true });
    await chmod(join(a.dir, 'tree/sub'), 0o750);
    await c.io.fetch('tree');
    expect((await stat(join(c.dir, 'tree/x.sh'))).mode & 0o777).toBe(0o755);
    expect((await stat(join(c.dir, 'tree/sub/deeper/y'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(c.dir, 'tree/sub'))).mode & 0o777).toBe(0o750);
    expect((await stat(join(c.dir, 'tree/sub/empty'))).isDirectory()).toBe(true);
    expect(await readFile(join(c.dir, 'tree/sub/deeper/y'))).toEqual(
      await readFile(join(a.dir, 'tree/sub/deeper/y')),
    );
  });

  test('a stale copy (older, different content) is replaced; an identical one is kept', async () => {
    await using s = await startSwarm(2, { partSize: PART });
    const [a, b] = s.nodes as [Node, Node];
    const fresh = randomBytes(PART * 3);
    await put(a, 'f', fresh);
    await put(b, 'f', randomBytes(PART * 3));
    const old = new Date(Date.now() - 3600_000);
    await utimes(join(b.dir, 'f'), old, old);
    await b.io.fetch('f');
    expect(sha(await readFile(join(b.dir, 'f')))).toBe(sha(fresh));
    const ino = (await stat(join(b.dir, 'f'))).ino;
    expect(await b.io.get('f')).toEqual([]); // same content now: nothing to pull
    expect((await stat(join(b.dir, 'f'))).ino).toBe(ino);
  });

  test('20 nodes pull one file at once: identical copies, parts spread over sources', async () => {
    await using s = await startSwarm(20, { partSize: PART, refreshMs: 50 });
    const [origin, ...rest] = s.nodes as [Node, ...Node[]];
    const data = randomBytes(PART * 40);
    await put(origin, 'big', data);
    const served = new Map<string, number>();
    for (const n of rest) {
      n.io.on('progress', (p) => {
        if (p.state !== 'done') return;
        for (const [h, k] of Object.entries(p.servedBy)) served.set(h, (served.get(h) ?? 0) + k);
      });
    }
    await Promise.all(rest.map((n) => n.io.fetch('big')));
    for (const n of rest) expect(sha(await readFile(join(n.dir, 'big')))).toBe(sha(data));
    const total = [...served.values()].reduce((x, y) => x + y, 0);
    expect(total).toBe(40 * 19);
    const fromOrigin = served.get(origin.name) ?? 0;
    // a swarm, not 19 copies from the origin
    expect(fromOrigin).toBeLessThan(total * 0.8);
    expect(served.size).toBeGreaterThan(5);
  }, 120_000);

  test('a source killed mid-transfer: the rest comes from the other holder', async () => {
    await using s = await startSwarm(3, { partSize: PART, parallel: 1 });
    const [a, b, c] = s.nodes as [Node, Node, Node];
    const data = randomBytes(PART * 30);
    await put(a, 'f', data);
    await put(b, 'f', data);
    const same = new Date(Date.now() - 1000);
    await utimes(join(a.dir, 'f'), same, same);
    await utimes(join(b.dir, 'f'), same, same);
    const [t] = await c.io.get('f');
    await until('some parts', () => (t?.progress().parts ?? 0) >= 3);
    await s.kill(0);
    await t?.done;
    expect(sha(await readFile(join(c.dir, 'f')))).toBe(sha(data));
  }, 60_000);

  test('the only source killed: a clear error in status and in fetch, no file under the name', async () => {
    await using s = await startSwarm(2, { partSize: PART, parallel: 1, orphanGraceMs: 300 });
    const [a, b] = s.nodes as [Node, Node];
    await put(a, 'f', randomBytes(PART * 200));
    const [t] = await b.io.get('f');
    await until('some parts', () => (t?.progress().parts ?? 0) >= 2);
    await s.kill(0);
    await expect(t?.done).rejects.toMatchObject({ code: 'ERR_IOMESH_NO_SOURCE' });
    await expect(stat(join(b.dir, 'f'))).rejects.toMatchObject({ code: 'ENOENT' });
    const [row] = b.io.status();
    expect(row).toMatchObject({ filename: 'f', state: 'failed' });
    expect(row?.progress.error).toMatch(/get f: no node can serve/);
  }, 60_000);

  test('stream yields the bytes in order without keeping a copy; a glob cannot be streamed', async () => {
    await using s = await startSwarm(2, { partSize: PART });
    const [a, b] = s.nodes as [Node, Node];
    const data = randomBytes(PART * 3 + 7);
    await put(a, 'd/s', data);
    await put(a, 'd/t', data);
    const chunks: Buffer[] = [];
    for await (const c of b.io.stream('d/s')) chunks.push(c);
    expect(sha(Buffer.concat(chunks))).toBe(sha(data));
    await expect(stat(join(b.dir, 'd/s'))).rejects.toThrow();
    await expect(b.io.stream('d/*').next()).rejects.toMatchObject({
      message: 'cannot stream a glob',
    });
    await expect(b.io.stream('zz').next()).rejects.toMatchObject({
      message: 'stream zz: file not found',
    });
  });

  test('a symlink out of the files directory is not served to other nodes', async () => {
    await using s = await startSwarm(2, { partSize: PART });
    const [a, b] = s.nodes as [Node, Node];
    const outside = await mkdtemp(join(tmpdir(), 'mm-outside-'));
    try {
      await writeFile(join(outside, 'secret'), 'private');
      await symlink(outside, join(a.dir, 'escape'));
      await expect(b.io.get('escape/secret')).rejects.toMatchObject({
        code: 'ERR_IOMESH_NOT_FOUND',
      });
      await expect(b.io.get('escape')).rejects.toMatchObject({ code: 'ERR_IOMESH_NOT_FOUND' });
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  test('completion lists matches across the mesh, one directory level at a time', async () => {
    await using s = await startSwarm(2, { partSize: PART });
    const [a, b] = s.nodes as [Node, Node];
    await put(a, 'images/one.qcow2', randomBytes(10));
    await put(b, 'images/two.qcow2', randomBytes(10));
    await put(a, 'iso/x.iso', randomBytes(10));
    expect(await b.io.complete('i')).toEqual(['images/', 'iso/']);
    expect(await b.io.complete('images/')).toEqual(['images/one.qcow2', 'images/two.qcow2']);
  });
});

describe('temporary files of abandoned transfers', () => {
  test('start-up keeps recent resumable pairs only; a failed transfer nobody retries loses its temp file', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mm-iomesh-sweep-'));
    try {
      const work = join(root, '.iomesh');
      await mkdir(join(work, 'olddir'), { recursive: true });
      const h = (c: string) => c.repeat(64);
      const files = {
        fresh: [`${h('a')}.tmp`, `${h('a')}.json`],
        stale: [`${h('b')}.tmp`, `${h('b')}.json`],
        lone: [`${h('c')}.tmp`, `${h('d')}.json`],
        junk: ['part-7.tmp'],
      };
      for (const n of Object.values(files).flat()) await writeFile(join(work, n), 'x');
      const old = new Date(Date.now() - 3 * 3600_000);
      for (const n of files.stale) await utimes(join(work, n), old, old);
      const mesh = await createMesh({
        name: 'solo',
        transport: createMemoryNetwork().createTransport('s'),
      });
      const io = await createIomeshage({ mesh, dir: root, keepPartialMs: 3600_000 });
      expect((await readdir(work)).sort()).toEqual([...files.fresh].sort());
      await io.close();
      await mesh.close();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  test('a failed transfer keeps its temp file for a resume, then drops it when not retried', async () => {
    await using s = await startSwarm(2, {
      partSize: PART,
      parallel: 1,
      orphanGraceMs: 300,
      keepPartialMs: 1500,
    });
    const [a, b] = s.nodes as [Node, Node];
    await put(a, 'f', randomBytes(PART * 200));
    const [t] = await b.io.get('f');
    await until('some parts', () => (t?.progress().parts ?? 0) >= 2);
    await s.kill(0);
    await expect(t?.done).rejects.toMatchObject({ code: 'ERR_IOMESH_NO_SOURCE' });
    const work = join(b.dir, '.iomesh');
    expect((await readdir(work)).sort()).toEqual([`${t?.hash}.json`, `${t?.hash}.tmp`]);
    const end = Date.now() + 20_000;
    while ((await readdir(work)).length > 0 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await readdir(work)).toEqual([]);
  }, 60_000);
});
