// Hashing, part planning, source choice, resume and a disk that fills up.
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { tempDir } from '#test-support';
import {
  chooseVersion,
  computeManifest,
  HashCache,
  hashPart,
  type Manifest,
  nodeFs,
  PartScheduler,
  partCount,
  partRange,
  Transfer,
  type TransferDeps,
  type TransferFs,
} from '../src/index.js';

const PART = 1024;

function manifestOf(data: Buffer, partSize = PART): Manifest {
  const parts: string[] = [];
  for (let i = 0; i < partCount(data.length, partSize); i++) {
    const [s, e] = partRange(data.length, partSize, i);
    parts.push(hashPart(data.subarray(s, e)));
  }
  return {
    size: data.length,
    partSize,
    parts,
    hash: createHash('sha256').update('x').digest('hex'),
  };
}

/** A transfer of `data` into `dir` as `name`, each of `hosts` holding the whole file. */
function transferSpec(dir: string, name: string, data: Buffer, hosts: string[], mode = 0o644) {
  return {
    name,
    dest: join(dir, name),
    workDir: join(dir, '.iomesh'),
    manifest: manifestOf(data),
    mode,
    mtimeMs: Date.now(),
    sources: new Map(hosts.map((h) => [h, { complete: true }])),
  };
}

describe('hashing', () => {
  test('manifest: one hash per part; the file hash changes with any byte; cached by size+mtime', async () => {
    await using d = await tempDir('mm-hash-');
    const p = join(d.path, 'f');
    const data = randomBytes(PART * 3 + 5);
    await writeFile(p, data);
    const m = await computeManifest(p, PART);
    expect(m.size).toBe(data.length);
    expect(m.parts).toHaveLength(4);
    expect(m.parts[3]).toBe(hashPart(data.subarray(PART * 3)));
    const cache = new HashCache(PART);
    expect((await cache.manifest(p)).hash).toBe(m.hash);
    expect(await cache.pathOf(m.hash)).toMatchObject({ path: p });
    data[10] = (data[10] as number) ^ 1;
    await writeFile(p, data);
    const m2 = await cache.manifest(p);
    expect(m2.hash).not.toBe(m.hash);
    expect(m2.parts.slice(1)).toEqual(m.parts.slice(1));
    expect((await computeManifest(p, PART)).hash).toBe(m2.hash);
  });

  test('property: part ranges tile the file exactly', () => {
    fc.assert(
      fc.property(fc.nat(1 << 22), fc.integer({ min: 1 << 10, max: 1 << 20 }), (size, ps) => {
        const n = partCount(size, ps);
        let at = 0;
        for (let i = 0; i < n; i++) {
          const [s, e] = partRange(size, ps, i);
          expect(s).toBe(at);
          expect(e).toBeGreaterThan(s);
          at = e;
        }
        expect(at).toBe(size);
      }),
    );
  });
});

describe('source choice and part planning', () => {
  test('the head node wins; else the newest; ties go to the most-held hash', () => {
    const c = (host: string, mtimeMs: number, hash: string) => ({ host, mtimeMs, hash });
    const cands = [c('a', 1, 'h1'), c('b', 2, 'h2'), c('c', 2, 'h3'), c('d', 2, 'h3')];
    expect(chooseVersion(cands, 'a')?.hash).toBe('h1');
    expect(chooseVersion(cands)?.hash).toBe('h3');
    expect(chooseVersion(cands, 'zz')?.hash).toBe('h3');
    expect(chooseVersion([])).toBeUndefined();
  });

  test('rarest part first, from the least busy holder; no source takes more than perSource', () => {
    const s = new PartScheduler(4, { perSource: 1, random: () => 0.5 });
    s.update('origin', { complete: true });
    s.update('peer', { complete: false, have: [2] });
    // part 2 has two holders, the others one: a part only the origin has goes first
    const p1 = s.next();
    expect(p1?.host).toBe('origin');
    expect(p1?.index).not.toBe(2);
    const p2 = s.next();
    expect(p2).toEqual({ index: 2, host: 'peer' });
    expect(s.next()).toBeUndefined();
    s.succeeded(p2!);
    s.failed(p1!, true);
    expect(s.sources.has('origin')).toBe(false);
    expect(s.orphans().length).toBe(3);
  });

  test('property: every part is fetched exactly once whatever the holdings', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.array(fc.nat(39)), { minLength: 1, maxLength: 6 }),
        (n, haves) => {
          const s = new PartScheduler(n, { perSource: 3 });
          s.update('origin', { complete: true });
          for (const [i, h] of haves.entries()) {
            s.update(`p${i}`, { complete: false, have: h.filter((x) => x < n) });
          }
          const seen = new Set<number>();
          for (;;) {
            const p = s.next();
            if (!p) break;
            expect(seen.has(p.index)).toBe(false);
            seen.add(p.index);
            s.succeeded(p);
          }
          expect(s.remaining).toBe(0);
        },
      ),
    );
  });
});

function deps(data: Buffer, fs: TransferFs, over: Partial<TransferDeps> = {}): TransferDeps {
  return {
    fs,
    async fetchPart(_host, m, i) {
      const [s, e] = partRange(m.size, m.partSize, i);
      return data.subarray(s, e);
    },
    whoHas: async () => [],
    slot: async () => () => {},
    onProgress: () => {},
    log: () => {},
    parallel: 3,
    refreshMs: 1000,
    orphanGraceMs: 100,
    ...over,
  };
}

describe('a transfer on disk', () => {
  test('resume: parts already verified in the temp file are not fetched again', async () => {
    await using d = await tempDir('mm-resume-');
    const data = randomBytes(PART * 10);
    const spec = transferSpec(d.path, 'f', data, ['src']);
    const m = spec.manifest;
    // the first run stops after 4 parts (the source goes away)
    let served = 0;
    const first = new Transfer(
      spec,
      deps(data, nodeFs, {
        parallel: 1,
        async fetchPart(_h, mm, i) {
          if (served++ >= 4)
            throw Object.assign(new Error('gone'), { code: 'ERR_MESH_UNKNOWN_HOST' });
          const [s, e] = partRange(mm.size, mm.partSize, i);
          return data.subarray(s, e);
        },
      }),
    );
    await expect(first.done).rejects.toMatchObject({ code: 'ERR_IOMESH_NO_SOURCE' });
    await expect(stat(spec.dest)).rejects.toThrow();
    // corrupt one of the saved parts on disk: it is fetched again
    const saved = JSON.parse(await readFile(join(spec.workDir, `${m.hash}.json`), 'utf8'))
      .done as number[];
    expect(saved).toHaveLength(4);
    const tmp = join(spec.workDir, `${m.hash}.tmp`);
    const buf = await readFile(tmp);
    const at = (saved[0] as number) * PART;
    buf[at] = (buf[at] as number) ^ 0xff;
    await writeFile(tmp, buf);
    const fetched: number[] = [];
    const second = new Transfer(
      spec,
      deps(data, nodeFs, {
        async fetchPart(_h, mm, i) {
          fetched.push(i);
          const [s, e] = partRange(mm.size, mm.partSize, i);
          return data.subarray(s, e);
        },
      }),
    );
    await second.done;
    expect(fetched.sort((a, b) => a - b)).toEqual(
      [...Array(10).keys()].filter((i) => !saved.slice(1).includes(i)),
    );
    expect(await readFile(spec.dest)).toEqual(data);
    expect(await readdir(spec.workDir)).toEqual([]);
  });

  test('not enough space: refused up front with the size needed, nothing written', async () => {
    await using d = await tempDir('mm-space-');
    const data = randomBytes(PART * 4);
    const fs: TransferFs = { ...nodeFs, freeBytes: async () => PART * 2 };
    const t = new Transfer(transferSpec(d.path, 'img', data, ['src']), deps(data, fs));
    await expect(t.done).rejects.toMatchObject({
      code: 'ERR_IOMESH_NO_SPACE',
      message: 'get img: not enough space: needs 4.0 KiB (4096 bytes), 2.0 KiB (2048 bytes) free',
    });
    expect(await readdir(d.path)).toEqual(['.iomesh']);
    expect(await readdir(join(d.path, '.iomesh'))).toEqual([]);
  });

  test('a disk that fills up mid-transfer (ENOSPC): a clear error, no file and no temp file left', async () => {
    await using d = await tempDir('mm-enospc-');
    const data = randomBytes(PART * 8);
    let written = 0;
    const fs: TransferFs = {
      ...nodeFs,
      async open(p) {
        const f = await nodeFs.open(p);
        return {
          ...f,
          async write(buf, pos) {
            written += buf.length;
            if (written > PART * 3)
              throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
                code: 'ENOSPC',
              });
            return f.write(buf, pos);
          },
        };
      },
    };
    const t = new Transfer(transferSpec(d.path, 'img', data, ['src']), deps(data, fs));
    await expect(t.done).rejects.toMatchObject({ code: 'ERR_IOMESH_NO_SPACE' });
    expect(t.error?.message).toMatch(
      /^get img: no space left on device while writing \(the file needs 8\.0 KiB/,
    );
    expect(t.progress()).toMatchObject({ state: 'failed' });
    expect(await readdir(d.path)).toEqual(['.iomesh']);
    expect(await readdir(join(d.path, '.iomesh'))).toEqual([]);
  });

  test('a slow disk holds requests back: parts on the wire <= parallel, parts in hand (on the wire or being written) <= parallel + 1', async () => {
    await using d = await tempDir('mm-slowdisk-');
    const data = randomBytes(PART * 12);
    let inHand = 0;
    let most = 0;
    const writes: (() => void)[] = [];
    const t = new Transfer(
      // enough sources that the per-source limit never binds
      transferSpec(d.path, 'f', data, ['a', 'b', 'c', 'd', 'e'], 0o600),
      deps(data, nodeFs, {
        parallel: 3,
        async fetchPartTo(_h, m, i, _signal, file, arrived) {
          inHand++;
          most = Math.max(most, inHand);
          const [s, e] = partRange(m.size, m.partSize, i);
          // the bytes are here and verified: the stream may take the next request
          arrived?.();
          // the write, held until the test lets it finish
          await new Promise<void>((r) => writes.push(r));
          await file.write(data.subarray(s, e), s);
          inHand--;
          return e - s;
        },
      }),
    );
    let settled = false;
    void t.done.finally(() => {
      settled = true;
    });
    while (!settled) {
      await new Promise((r) => setTimeout(r, 10));
      writes.shift()?.();
    }
    await t.done;
    expect(await readFile(join(d.path, 'f'))).toEqual(data);
    // each written part's buffers are held until written: a slow disk must not make them pile up
    expect(most).toBe(4);
  });

  test('a corrupt part from one source is refetched from another', async () => {
    await using d = await tempDir('mm-corrupt-');
    const data = randomBytes(PART * 6);
    const { PartClient } = await import('../src/part-client.js');
    expect(PartClient).toBeDefined();
    const bad = new Set<string>();
    const t = new Transfer(
      transferSpec(d.path, 'f', data, ['liar', 'honest'], 0o600),
      deps(data, nodeFs, {
        async fetchPart(host, m, i) {
          const [s, e] = partRange(m.size, m.partSize, i);
          const part = Buffer.from(data.subarray(s, e));
          if (host === 'liar') {
            part[0] = (part[0] as number) ^ 1;
            bad.add(`${i}`);
          }
          // the part client verifies every part against the manifest
          if (hashPart(part) !== m.parts[i])
            throw new Error(`part ${i} from ${host} does not match its hash`);
          return part;
        },
      }),
    );
    await t.done;
    expect(await readFile(join(d.path, 'f'))).toEqual(data);
    expect(t.progress().servedBy.liar).toBeUndefined();
  });
});
