// `ns save` across hosts over an in-memory mesh (fake drivers): every VM of
// the namespace paused and saved on its own host, launch.mm relaunches them;
// a host that cannot answer fails the save before anything is written.
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultVmConfig } from '@mm/qemu';
import { expect, test } from 'vitest';
import { tempDir } from '#test-support';
import { Namespace } from '../src/namespace.js';
import { saveDir, saveNamespace, saveProgress } from '../src/save.js';
import { meshCluster } from './mesh-fixture.js';

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

test('ns save: pauses and saves every VM on every host, writes launch.mm', async () => {
  await using c = await meshCluster(['head', 'h1', 'h2']);
  await using files = await tempDir('mm-ns-save-');
  const head = c.byName('head');
  const disk = { path: join(files.path, 'base.qcow2'), iface: '', cache: '', snapshotPath: '' };
  const withDisks = { ...defaultVmConfig(), memory: 64, disks: [disk, { ...disk, path: '/d2' }] };
  await c
    .byName('h1')
    .host.launch({ namespace: 'm', type: 'kvm', names: ['neo'], config: withDisks });
  const noDisk = { ...defaultVmConfig(), memory: 32 };
  await c
    .byName('h2')
    .host.launch({ namespace: 'm', type: 'kvm', names: ['mouse', 'dead'], config: noDisk });
  await c.byName('h2').host.start({ namespace: 'm', targets: ['mouse'] });
  await c.byName('h2').host.kill({ namespace: 'm', targets: ['dead'] });
  // another namespace's VM is neither paused nor saved
  await c
    .byName('h1')
    .host.launch({ namespace: 'other', type: 'kvm', names: ['x'], config: noDisk });
  await c.byName('h1').host.start({ namespace: 'other', targets: ['x'] });

  const ns = new Namespace('m', ['h1', 'h2']);
  const seen: string[] = [];
  const r = await saveNamespace({
    cluster: head.cluster,
    ns,
    queueing: true,
    name: 'matrix',
    filesDir: files.path,
    pollMs: 10,
    progress: (done, total) => seen.push(`${done}/${total}`),
  });
  const dir = join(files.path, 'saved', 'matrix');
  expect(r).toEqual({ dir, saved: ['mouse', 'neo'], configOnly: ['dead'] });
  expect(seen).toEqual(['1/2', '2/2']);
  // each host wrote its VMs' files (one machine here: the same tree)
  for (const f of ['neo.state', 'neo.hdd', 'neo.hdd.1', 'mouse.state'])
    expect(await exists(join(dir, f)), f).toBe(true);
  expect(await exists(join(dir, 'mouse.hdd'))).toBe(false);
  const states = async (host: string, namespace: string) =>
    (await c.byName(host).host.list({ namespace })).map((v) => `${v.name}:${v.state}`);
  expect(await states('h1', 'm')).toEqual(['neo:PAUSED']);
  expect(await states('h2', 'm')).toEqual(['mouse:PAUSED', 'dead:QUIT']);
  expect(await states('h1', 'other')).toEqual(['x:RUNNING']);
  expect(await saveProgress(head.cluster, ns)).toEqual({ completed: 2, total: 2 });

  const neo = (await c.byName('h1').host.list({ namespace: 'm' }))[0]!;
  const mouse = (await c.byName('h2').host.list({ namespace: 'm' }))[0]!;
  const dead = (await c.byName('h2').host.list({ namespace: 'm' }))[1]!;
  expect(await readFile(join(dir, 'launch.mm'), 'utf8')).toBe(
    [
      'namespace "m"',
      '',
      'ns queueing true',
      '',
      'clear vm config',
      `vm config uuid ${dead.uuid}`,
      'vm config memory 32',
      'vm launch kvm "dead"',
      '',
      'clear vm config',
      `vm config uuid ${mouse.uuid}`,
      'vm config memory 32',
      'vm config state file:saved/matrix/mouse.state',
      'vm launch kvm "mouse"',
      '',
      'clear vm config',
      `vm config uuid ${neo.uuid}`,
      'vm config memory 64',
      `vm config disks ${disk.path} /d2`,
      'vm config state file:saved/matrix/neo.state',
      'vm config disks file:saved/matrix/neo.hdd file:saved/matrix/neo.hdd.1',
      'vm launch kvm "neo"',
      '',
      'vm launch',
      'vm start all',
      '# the save process saves the VMs in a paused state, so do a stop/start',
      'shell sleep 10',
      'vm stop all',
      'vm start all',
      '',
    ].join('\n'),
  );

  // the same name again is refused; nothing is overwritten
  await expect(
    saveNamespace({
      cluster: head.cluster,
      ns,
      queueing: false,
      name: 'matrix',
      filesDir: files.path,
    }),
  ).rejects.toMatchObject({
    code: 'ERR_NS_SAVE',
    message: 'saved VM with this name already exists',
  });
});

test('ns save: a host that does not answer fails the save before anything is written', async () => {
  await using c = await meshCluster(['head', 'h1'], { timeoutMs: 2000 });
  await using files = await tempDir('mm-ns-save-');
  await c.byName('h1').host.launch({
    namespace: 'm',
    type: 'kvm',
    names: ['a'],
    config: { ...defaultVmConfig(), memory: 32 },
  });
  const ns = new Namespace('m', ['h1', 'ghost']);
  await expect(
    saveNamespace({
      cluster: c.byName('head').cluster,
      ns,
      queueing: false,
      name: 'x',
      filesDir: files.path,
    }),
  ).rejects.toMatchObject({ code: 'ERR_NS_SAVE', message: expect.stringContaining('ghost') });
  expect(await exists(join(files.path, 'saved', 'x'))).toBe(false);
  expect((await c.byName('h1').host.list({ namespace: 'm' }))[0]!.state).toBe('BUILDING');
});

test('saveDir: absolute names as given, relative ones under saved/, never outside it', () => {
  expect(saveDir('/abs/x', '/f')).toEqual({ dir: '/abs/x', viaFiles: false });
  expect(saveDir('a/b', '/f')).toEqual({ dir: '/f/saved/a/b', viaFiles: true });
  expect(() => saveDir('../../etc', '/f')).toThrow('leaves the saved directory');
  expect(() => saveDir(' ', '/f')).toThrow('empty');
});
