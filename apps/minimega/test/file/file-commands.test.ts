// The `file` commands and the file:/tar:/http:// prefixes on two in-process
// daemons linked over loopback TCP (real mesh, real streams; no root needed).
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '#test-support';
import { fileModule } from '../../src/commands/file/index.js';
import { meshModule, meshService } from '../../src/commands/mesh/index.js';
import { completeLine } from '../../src/daemon/completer.js';
import type { DaemonCore } from '../../src/daemon/core.js';
import type { RunningDaemon } from '../../src/daemon/start.js';
import { coreRunner, type LineResult } from '../core-runner.js';
import { loopbackMeshDaemon } from '../helpers.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

interface Node {
  d: RunningDaemon;
  core: DaemonCore;
  port: number;
  base: string;
  files: string;
  run(line: string): Promise<LineResult>;
}

async function node(hostname: string): Promise<Node> {
  const d = await loopbackMeshDaemon(hostname, [meshModule, fileModule], {
    context: `f${process.pid}`,
  });
  const r = coreRunner(d.core);
  return {
    d,
    core: d.core,
    port: d.port,
    base: d.base,
    files: join(d.base, 'files'),
    run: (l) => r.run(l),
  };
}

async function until(what: string, ok: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

let h1: Node;
let h2: Node;
let solo: Node;
let http: Server;
let httpPort = 0;
const served = randomBytes(300_000);
const ranges: string[] = [];

beforeAll(async () => {
  [h1, h2, solo] = await Promise.all([node('fh1'), node('fh2'), node('fsolo')]);
  const dial = await h1.run(`mesh dial 127.0.0.1:${h2.port}`);
  expect(dial.errors).toEqual([]);
  await until('mesh of 2', async () => meshService(h2.core)?.node?.size() === 2);
  http = createServer((req, res) => {
    if (req.url === '/dl/flaky.bin') {
      // the first answer breaks off half-way; a Range request gets the rest
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      ranges.push(req.headers.range ?? '');
      if (!range) {
        res.writeHead(200, { 'content-length': served.length });
        res.write(served.subarray(0, served.length / 2));
        setTimeout(() => res.socket?.destroy(), 50);
        return;
      }
      const from = Number(range[1]);
      res.writeHead(206, {
        'content-length': served.length - from,
        'content-range': `bytes ${from}-${served.length - 1}/${served.length}`,
      });
      res.end(served.subarray(from));
    } else if (req.url === '/dl/image.bin') {
      res.writeHead(200, { 'content-length': served.length });
      res.end(served);
    } else {
      res.writeHead(404);
      res.end('no');
    }
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const a = http.address();
  httpPort = typeof a === 'object' && a ? a.port : 0;
}, 60_000);

afterAll(async () => {
  http?.close();
  for (const n of [h1, h2, solo]) {
    if (!n) continue;
    await n.d.close(); // also removes its base
  }
});

describe('file commands', () => {
  it('file list: header, <dir>, sizes, RFC 3339 times; nothing is an empty table', async () => {
    await mkdir(join(h1.files, 'iso'), { recursive: true });
    await writeFile(join(h1.files, 'iso', 'a.iso'), 'abc');
    const r = await h1.run('file list iso');
    expect(r.errors).toEqual([]);
    expect(r.text).toMatch(
      /^dir\s+\| name\s+\| size \| modified\s*\n\s*\| iso\/a\.iso \| 3\s+\| \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/,
    );
    expect((await h1.run('file list /')).text).toMatch(/<dir> \| iso/);
    // completion of file: looks at every node
    expect(await completeLine(h2.core, 'echo file:is')).toEqual(['echo file:iso/']);
    expect(await completeLine(h2.core, 'echo file:iso/')).toEqual(['echo file:iso/a.iso ']);
    expect(await h1.run('file list nothing*')).toMatchObject({ text: '', errors: [] });
  });

  it('file get: not found on one node and on two; a bad glob is an error', async () => {
    expect((await solo.run('file get nope')).errors).toEqual(['get nope: file not found']);
    expect((await h2.run('file get nope')).errors).toEqual(['get nope: file not found']);
    expect((await h2.run('file get [')).errors).toEqual(['syntax error in pattern']);
  });

  it('mesh send all file get: the other node pulls the file in the background, status shows it', async () => {
    const data = randomBytes(6 * 1024 * 1024 + 17);
    await writeFile(join(h1.files, 'big.img'), data);
    const r = await h1.run('mesh send all file get big.img');
    expect(r.errors).toEqual([]);
    await until('big.img on fh2', () => exists(join(h2.files, 'big.img')));
    expect(sha(await readFile(join(h2.files, 'big.img')))).toBe(sha(data));
    // done: no row left (a failed transfer would stay, with its error)
    expect(await h2.run('file status')).toMatchObject({ text: '', errors: [] });
  });

  it('file: blocks until the file is here and becomes its absolute path, also inside mesh send', async () => {
    const data = randomBytes(100_000);
    await mkdir(join(h1.files, 'vm'), { recursive: true });
    await writeFile(join(h1.files, 'vm', 'disk.qcow2'), data);
    const r = await h2.run('echo file:vm/disk.qcow2');
    expect(r.errors).toEqual([]);
    expect(r.text.trim()).toBe(join(h2.files, 'vm', 'disk.qcow2'));
    expect(sha(await readFile(join(h2.files, 'vm', 'disk.qcow2')))).toBe(sha(data));
    await writeFile(join(h2.files, 'only-on-2'), 'x');
    const m = await h1.run('mesh send fh2 echo file:only-on-2');
    expect(m.errors).toEqual([]);
    expect(m.text).toContain(join(h2.files, 'only-on-2'));
    expect((await h2.run('echo file:missing.qcow2')).errors).toEqual([
      'get missing.qcow2: file not found',
    ]);
  });

  it('file: of a qcow2 overlay fetches its backing image too', async () => {
    await execa('qemu-img', ['create', '-f', 'qcow2', join(h1.files, 'base.qcow2'), '1M']);
    await execa('qemu-img', [
      'create',
      '-f',
      'qcow2',
      '-b',
      'base.qcow2',
      '-F',
      'qcow2',
      join(h1.files, 'overlay.qcow2'),
    ]);
    const r = await h2.run('echo file:overlay.qcow2');
    expect(r.errors).toEqual([]);
    expect(await exists(join(h2.files, 'base.qcow2'))).toBe(true);
  });

  it('tar: fetches the tarball and untars its one top-level directory', async () => {
    const src = await mkdtemp(join(tmpdir(), 'mm-tar-'));
    await mkdir(join(src, 'rootfs', 'bin'), { recursive: true });
    await writeFile(join(src, 'rootfs', 'bin', 'init'), '#!/bin/sh\n');
    await execa('tar', ['-C', src, '-cf', join(h1.files, 'fs.tar'), 'rootfs']);
    await rm(src, { recursive: true, force: true });
    const r = await h2.run('echo tar:fs.tar');
    expect(r.errors).toEqual([]);
    expect(r.text.trim()).toBe(join(h2.files, 'rootfs'));
    expect(await exists(join(h2.files, 'rootfs', 'bin', 'init'))).toBe(true);
  });

  it('http://: an interrupted download fails clearly, leaves nothing under the name, and resumes', async () => {
    const url = `http://127.0.0.1:${httpPort}/dl/flaky.bin`;
    const first = await solo.run(`echo ${url}`);
    expect(first.errors).toHaveLength(1);
    expect(first.errors[0]).toMatch(/^get http:\/\/127\.0\.0\.1:\d+\/dl\/flaky\.bin: /);
    expect(await exists(join(solo.files, 'dl', 'flaky.bin'))).toBe(false);
    const second = await solo.run(`echo ${url}`);
    expect(second.errors).toEqual([]);
    expect(sha(await readFile(join(solo.files, 'dl', 'flaky.bin')))).toBe(sha(served));
    // the second request asked only for what was not on disk yet
    expect(ranges).toHaveLength(2);
    expect(ranges[0]).toBe('');
    const from = Number(/^bytes=(\d+)-$/.exec(ranges[1] ?? '')?.[1]);
    expect(from).toBeGreaterThan(0);
    expect(from).toBeLessThanOrEqual(served.length / 2);
  });

  it('http://: downloaded into the files dir once; a 404 or an unreachable URL is an error', async () => {
    const url = `http://127.0.0.1:${httpPort}/dl/image.bin`;
    const r = await h2.run(`echo ${url}`);
    expect(r.errors).toEqual([]);
    expect(r.text.trim()).toBe(join(h2.files, 'dl', 'image.bin'));
    expect(sha(await readFile(join(h2.files, 'dl', 'image.bin')))).toBe(sha(served));
    // h1 finds it on the mesh (no second download needed)
    http.close();
    const again = await h1.run(`echo ${url}`);
    expect(again.errors).toEqual([]);
    expect(sha(await readFile(join(h1.files, 'dl', 'image.bin')))).toBe(sha(served));
    const closed = await freePort();
    const bad = await solo.run(`echo http://127.0.0.1:${closed}/nothing.iso`);
    expect(bad.errors[0]).toMatch(/^get http:\/\/127\.0\.0\.1:\d+\/nothing\.iso: .*ECONNREFUSED/);
    const missing = await h2.run(`echo http://127.0.0.1:${httpPort}/dl/other.bin`);
    expect(missing.errors[0]).toMatch(/other\.bin/);
    expect(await exists(join(solo.files, 'nothing.iso'))).toBe(false);
  });

  it('file stream: the bytes as base64 Data, in order', async () => {
    const data = randomBytes(5 * 1024 * 1024);
    await writeFile(join(h1.files, 's.bin'), data);
    const r = await h2.run('file stream s.bin');
    expect(r.errors).toEqual([]);
    const got = Buffer.concat(r.data.map((x) => Buffer.from(String(x), 'base64')));
    expect(sha(got)).toBe(sha(data));
    expect(await exists(join(h2.files, 's.bin'))).toBe(false);
  });

  it('file delete: globs; / empties the files dir but keeps it', async () => {
    await writeFile(join(solo.files, 'a1'), '');
    await writeFile(join(solo.files, 'a2'), '');
    await writeFile(join(solo.files, 'b'), '');
    expect((await solo.run('file delete a*')).errors).toEqual([]);
    expect((await solo.run('file list /')).text).toMatch(/\| b\s/);
    expect((await solo.run('file delete /')).errors).toEqual([]);
    expect(await solo.run('file list /')).toMatchObject({ text: '', errors: [] });
    expect(await exists(solo.files)).toBe(true);
  });
});
