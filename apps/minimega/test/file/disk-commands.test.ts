// The `disk` commands through qemu-img on an in-process daemon.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { hasBinary, realComponent } from '#test-support';
import { diskModule } from '../../src/commands/disk/index.js';
import { humanBytes } from '../../src/commands/disk/qemu-img.js';
import { defaultDaemonFlags } from '../../src/daemon/flags.js';
import { type RunningDaemon, startDaemon } from '../../src/daemon/start.js';
import { createLogger } from '../../src/log/logger.js';
import { type CoreRunner, coreRunner } from '../core-runner.js';

const qemuImg = realComponent('qemu-img', () =>
  hasBinary('qemu-img') ? undefined : 'qemu-img not installed',
);

let d: RunningDaemon;
let r: CoreRunner;
let base = '';

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), `mm-disk-t${process.pid}-`));
  d = await startDaemon({
    flags: defaultDaemonFlags({ base, port: 0, broadcast: '127.255.255.255' }),
    log: createLogger({ level: 'fatal', stderr: false }),
    hostname: 'dh',
    modules: [diskModule],
  });
  r = coreRunner(d.core);
});

afterAll(async () => {
  await d?.close();
  if (base) await rm(base, { recursive: true, force: true });
});

describe('disk commands', () => {
  qemuImg.test('create, snapshot (named and unnamed), info with the backing chain', async () => {
    const files = join(base, 'files');
    expect((await r.run('disk create qcow2 base.qcow2 20M')).errors).toEqual([]);
    expect((await r.run('disk create raw plain.img 1M')).errors).toEqual([]);
    expect((await stat(join(files, 'plain.img'))).size).toBe(1024 * 1024);
    expect((await r.run('disk snapshot base.qcow2 child.qcow2')).errors).toEqual([]);
    const info = await r.run('disk info child.qcow2');
    expect(info.errors).toEqual([]);
    const lines = info.text.split('\n');
    expect(lines[0]).toMatch(
      /^image\s+\| format \| virtualsize \| disksize\s+\| backingfile\s+\| inuse$/,
    );
    expect(lines[1]).toMatch(
      new RegExp(
        `^${join(files, 'child.qcow2')}\\s+\\| qcow2\\s+\\| 20\\.0 MiB\\s+\\| .*iB\\s+\\| base\\.qcow2\\s+\\| false$`,
      ),
    );
    const chain = await r.run('disk info child.qcow2 recursive');
    expect(chain.text.split('\n')).toHaveLength(3);
    const anon = await r.run('disk snapshot base.qcow2');
    expect(anon.errors).toEqual([]);
    expect(anon.text.trim()).toMatch(new RegExp(`^${files}/snapshot\\d+$`));
    expect((await r.run(`disk info ${anon.text.trim()}`)).text).toMatch(/base\.qcow2/);
  });

  qemuImg.test(
    'errors: a missing image, a bad size; inject names the missing nbd module',
    async () => {
      expect((await r.run('disk info nope.qcow2')).errors[0]).toMatch(
        /^\[image .*nope\.qcow2\] .*No such file/,
      );
      expect((await r.run('disk create qcow2 x.qcow2 lots')).errors[0]).toMatch(
        /^\[image .*x\.qcow2\] .*size/i,
      );
      const inj = await r.run('disk inject base.qcow2 files a:b');
      expect(inj.errors[0]).toMatch(/nbd kernel module/);
    },
  );
});

describe('sizes', () => {
  qemuImg.test('humanBytes as minimega', () => {
    expect(humanBytes(1023)).toBe('1023 B');
    expect(humanBytes(1024)).toBe('1.0 KiB');
    expect(humanBytes(20 * 1024 * 1024)).toBe('20.0 MiB');
    expect(humanBytes(10 * 1024 ** 3 + 1)).toBe('10.0 GiB');
  });
});
