// `vm config` container fields (containers.md §1.1): set, print, clear, errors.
import { describe, expect, test } from 'vitest';
import { defaultVmConfig, findField } from '../src/index.js';

const ctx = { filesDir: '/files' };
const field = (name: string) => {
  const f = findField(name);
  if (!f) throw new Error(`no field ${name}`);
  return f;
};

describe('container config fields', () => {
  test('filesystem: relative values go under the files dir, absolute ones stay', async () => {
    const c = defaultVmConfig();
    await field('filesystem').set(c, ['images/minicccfs'], ctx);
    expect(field('filesystem').print(c)).toBe('/files/images/minicccfs');
    await field('filesystem').set(c, ['/root/fs/'], ctx);
    expect(c.filesystem).toBe('/root/fs/');
    field('filesystem').clear(c);
    expect(c.filesystem).toBe('');
  });

  test('init: a list replaced whole, printed Go-style, cleared back to [/init]', async () => {
    const c = defaultVmConfig();
    expect(field('init').print(c)).toBe('[/init]');
    await field('init').set(c, ['/bin/sh', '-c', 'sleep 1'], ctx);
    expect(c.init).toEqual(['/bin/sh', '-c', 'sleep 1']);
    field('init').clear(c);
    expect(field('init').print(c)).toBe('[/init]');
  });

  test('hostname and preinit are raw strings (preinit is not put under the files dir)', async () => {
    const c = defaultVmConfig();
    await field('hostname').set(c, ['box'], ctx);
    await field('preinit').set(c, ['prep.sh'], ctx);
    expect(field('hostname').print(c)).toBe('box');
    expect(field('preinit').print(c)).toBe('prep.sh');
  });

  test('fifos: an unsigned integer, Go strconv errors', async () => {
    const c = defaultVmConfig();
    await field('fifos').set(c, ['3'], ctx);
    expect(field('fifos').print(c)).toBe('3');
    await expect(async () => field('fifos').set(c, ['x'], ctx)).rejects.toThrow(
      'strconv.ParseUint: parsing "x": invalid syntax',
    );
    await expect(async () => field('fifos').set(c, ['-1'], ctx)).rejects.toThrow(/ParseUint/);
    expect(c.fifos).toBe(3);
    field('fifos').clear(c);
    expect(c.fifos).toBe(0);
  });

  test('volume: key -> host path (under the files dir when relative), a repeated key overwrites', async () => {
    const c = defaultVmConfig();
    await field('volume').set(c, ['/scratch', '/tmp/v1'], ctx);
    await field('volume').set(c, ['/data', 'vols/d'], ctx);
    await field('volume').set(c, ['/scratch', '/tmp/v2'], ctx);
    expect(c.volume).toEqual({ '/scratch': '/tmp/v2', '/data': '/files/vols/d' });
    expect(field('volume').print(c).split('\n').filter(Boolean).sort()).toEqual([
      '/data -> /files/vols/d',
      '/scratch -> /tmp/v2',
    ]);
    field('volume').clear(c);
    expect(c.volume).toEqual({});
  });
});

test('extractTarRoot: untars once beside the tarball, refuses two top-level entries', async () => {
  const { mkdtemp, mkdir, writeFile, rm, readFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { execa } = await import('execa');
  const { extractTarRoot } = await import('../src/index.js');
  const d = await mkdtemp(join(tmpdir(), 'mm-tar-'));
  try {
    await mkdir(join(d, 'src', 'fs', 'bin'), { recursive: true });
    await writeFile(join(d, 'src', 'fs', 'init'), 'v1');
    await execa('tar', ['-C', join(d, 'src'), '-czf', join(d, 'fs.tgz'), 'fs']);
    expect(await extractTarRoot(join(d, 'fs.tgz'))).toBe(join(d, 'fs'));
    expect(await readFile(join(d, 'fs', 'init'), 'utf8')).toBe('v1');
    // once: an existing extraction is reused
    await writeFile(join(d, 'fs', 'init'), 'changed');
    await extractTarRoot(join(d, 'fs.tgz'));
    expect(await readFile(join(d, 'fs', 'init'), 'utf8')).toBe('changed');
    await writeFile(join(d, 'src', 'other'), 'x');
    await execa('tar', ['-C', join(d, 'src'), '-czf', join(d, 'two.tgz'), 'fs', 'other']);
    await expect(extractTarRoot(join(d, 'two.tgz'))).rejects.toThrow(/single top-level/);
  } finally {
    await rm(d, { recursive: true, force: true });
  }
});
