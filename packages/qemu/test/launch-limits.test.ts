// The local host's launch bounds (issue 14 §3): memory checked before
// anything starts; a launch cancelled by its signal (the client went away)
// or by `kill` starts nothing more; files handed to a running QEMU
// (hotplug, cdrom) go through the host's checkFile first.
import { totalmem } from 'node:os';
import { describe, expect, test } from 'vitest';
import { tempDir } from '#test-support';
import {
  createFakeDriver,
  createLocalVmHost,
  createSlowStartDriver,
  defaultVmConfig,
  type LocalVmHostOptions,
} from '../src/index.js';

async function localHost(opts: Partial<LocalVmHostOptions> = {}) {
  const dir = await tempDir('mm-launch-limits-');
  const host = createLocalVmHost({
    hostname: 'h1',
    drivers: { kvm: createFakeDriver() },
    baseDir: dir.path,
    filesDir: `${dir.path}/files`,
    vncHost: false,
    ...opts,
  });
  return {
    host,
    dir: dir.path,
    async [Symbol.asyncDispose]() {
      await host.close();
      await dir[Symbol.asyncDispose]();
    },
  };
}

const until = async (cond: () => boolean) => {
  const end = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('local host launch bounds', () => {
  test('memOvercommit: memory past the cap is refused before any VM exists, naming the figures', async () => {
    await using h = await localHost({ memOvercommit: 1 });
    const memtotal = Math.floor(totalmem() / 1024 / 1024);
    const config = { ...defaultVmConfig(), memory: memtotal };
    await expect(
      h.host.launch({ namespace: 'n', type: 'kvm', names: ['a', 'b'], config }),
    ).rejects.toMatchObject({
      code: 'ERR_VM_LAUNCH',
      message: `not enough memory on h1: 2 VM(s) × ${memtotal} MB need ${2 * memtotal} MB; ${memtotal} of ${memtotal} MB left (memory overcommit 1 × ${memtotal} MB)`,
    });
    expect(await h.host.list({})).toEqual([]);
    expect(h.host.load().memovercommit).toBe(1);
    await h.host.launch({ namespace: 'n', type: 'kvm', names: ['a'], config });
    expect((await h.host.list({})).map((v) => v.name)).toEqual(['a']);
  });

  test('kill during a big launch: waiting VMs never start, the starting ones are aborted, all QUIT', async () => {
    const slow = createSlowStartDriver();
    await using h = await localHost({ drivers: { kvm: slow.driver }, launchParallelism: 2 });
    const config = { ...defaultVmConfig(), memory: 1 };
    const names = Array.from({ length: 50 }, (_, i) => `v${i}`);
    const launching = h.host.launch({ namespace: 'n', type: 'kvm', names, config });
    await until(() => slow.started() === 2);
    await h.host.kill({ namespace: 'n', targets: ['all'] });
    const r = await launching;
    expect(r.errors).toEqual([]);
    expect(slow.started()).toBe(2);
    const states = new Set((await h.host.list({ namespace: 'n' })).map((v) => v.state));
    expect([...states]).toEqual(['QUIT']);
    await h.host.flush({ namespace: 'n', targets: ['all'] });
    expect(await h.host.list({})).toEqual([]);
  });

  test('a launch whose signal aborts (client gone) starts nothing more; the rest show why', async () => {
    const slow = createSlowStartDriver();
    await using h = await localHost({ drivers: { kvm: slow.driver }, launchParallelism: 2 });
    const config = { ...defaultVmConfig(), memory: 1 };
    const names = Array.from({ length: 50 }, (_, i) => `v${i}`);
    const ac = new AbortController();
    const launching = h.host.launch(
      { namespace: 'n', type: 'kvm', names, config },
      { signal: ac.signal },
    );
    await until(() => slow.started() === 2);
    ac.abort(new Error('client disconnected'));
    const r = await launching;
    expect(slow.started()).toBe(2);
    expect(r.errors.length).toBe(50);
    const vms = await h.host.list({ namespace: 'n' });
    expect(new Set(vms.map((v) => v.state))).toEqual(new Set(['ERROR']));
    expect(vms.filter((v) => v.error === 'launch cancelled')).toHaveLength(48);
  });

  test('hotplug add and cdrom change hand QEMU the path checkFile returns; a refusal stops them', async () => {
    const asked: string[] = [];
    const driver = createFakeDriver();
    await using h = await localHost({
      drivers: { kvm: driver },
      checkFile: async (path, use) => {
        asked.push(`${use}:${path}`);
        if (path.includes('secret')) throw new Error(`refusing ${path}: a system secret`);
        return `/checked${path}`;
      },
    });
    await h.host.launch({
      namespace: 'n',
      type: 'kvm',
      names: ['a'],
      config: { ...defaultVmConfig(), memory: 1 },
    });
    await h.host.start({ namespace: 'n', targets: ['a'] });
    const sel = { namespace: 'n', targets: ['a'] };
    await expect(
      h.host.hotplug(sel, { op: 'add', file: '/etc/secret', version: '', serial: '' }),
    ).rejects.toThrow('refusing /etc/secret: a system secret');
    // the fake QEMU's stat of the checked path fails: what matters is which path it was given
    await expect(
      h.host.hotplug(sel, { op: 'add', file: '/disk.img', version: '', serial: '' }),
    ).rejects.toThrow(/\/checked\/disk\.img/);
    await expect(
      h.host.cdrom(sel, { op: 'change', path: '/cd.iso', force: false }),
    ).rejects.toThrow(/\/checked\/cd\.iso/);
    expect(asked).toEqual(['hotplug:/etc/secret', 'hotplug:/disk.img', 'cdrom:/cd.iso']);
    // a target that names no VM here is "not found", not a file error
    await expect(
      h.host.hotplug(
        { namespace: 'n', targets: ['nope'] },
        { op: 'add', file: '/x', version: '', serial: '' },
      ),
    ).rejects.toMatchObject({ code: 'ERR_VM_NOT_FOUND' });
    expect(asked).toHaveLength(3);
  });
});
