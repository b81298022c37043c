// The container rootfs: busybox-static, an executable /init, a tarball with
// one top-level directory; /init configures eth0 from mm.ip= or MM_IP.
import { access, constants, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect, test } from 'vitest';
import { hasBinary, realComponent, tempDir } from '#test-support';
import { buildContainerFs, CONTAINER_READY_MARKER, containerInitScript } from '../src/index.js';

const real = realComponent('busybox-static', () =>
  hasBinary('busybox') ? undefined : 'busybox not installed (Debian: busybox-static)',
);

test('init script: address from mm.ip= words or MM_IP, then the marker, then it keeps running', () => {
  const s = containerInitScript();
  expect(s.startsWith('#!/bin/sh\n')).toBe(true);
  expect(s).toContain('mm.ip=*) IP=');
  expect(s).toContain('MM_IP:-');
  expect(s).toContain(`echo "${CONTAINER_READY_MARKER}`);
  expect(s).toContain('while :; do sleep 3600');
});

real.test(
  'builds an executable /init over busybox, and a one-directory tarball',
  async () => {
    await using cache = await tempDir('mm-ctfs-');
    const fs = await buildContainerFs({ cacheDir: cache.path });
    await access(join(fs.dir, 'init'), constants.X_OK);
    expect(await readlink(join(fs.dir, 'bin', 'sh'))).toBe('/bin/busybox');
    const list = await execa('tar', ['-tzf', fs.tarball]);
    const tops = new Set(list.stdout.split('\n').map((l) => l.split('/')[0]));
    expect([...tops]).toEqual(['minicccfs']);
    // cached: a second call reuses it
    expect(await buildContainerFs({ cacheDir: cache.path })).toEqual(fs);
  },
  60_000,
);
