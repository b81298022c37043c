// `ns` commands on one daemon (no mesh): hosts, load, queueing, the queue,
// dry run, schedule status, ns run, refused nested forms.
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { vmDaemon } from './harness.js';

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

test('ns hosts/load/queueing/queue/flush and a queued launch', async () => {
  await using d = await vmDaemon();
  const t = await d.transcript([
    'ns hosts',
    'ns load',
    'ns load memcommit',
    'ns load',
    'ns queueing',
    'ns queueing true',
    'vm launch kvm a,b',
    'vm launch kvm 2',
    'vm launch kvm a',
    '.columns name vm info',
    'ns schedule dry-run',
    'ns schedule mv a localhost',
    'ns schedule dump',
    'vm launch',
    '.columns name,state vm info',
    '.columns state,launched,failures,total,hosts ns schedule status',
    'vm launch',
    'ns add-hosts nope',
    'ns del-hosts all',
    'ns hosts',
    'vm launch kvm c',
    'vm launch',
  ]);
  expect(t).toBe(
    [
      '## ns hosts',
      'testhost',
      '## ns load',
      'cpucommit',
      '## ns load memcommit',
      '## ns load',
      'memcommit',
      '## ns queueing',
      'false',
      '## ns queueing true',
      '## vm launch kvm a,b',
      '## vm launch kvm 2',
      '## vm launch kvm a',
      'E: vm already queued with name `a`',
      '## .columns name vm info',
      '## ns schedule dry-run',
      'vm   | dst',
      '     | testhost',
      '     | testhost',
      'a    | testhost',
      'b    | testhost',
      '## ns schedule mv a localhost',
      '## ns schedule dump',
      'vm   | dst',
      '     | testhost',
      '     | testhost',
      'a    | testhost',
      'b    | testhost',
      '## vm launch',
      '## .columns name,state vm info',
      'name | state',
      'a    | BUILDING',
      'b    | BUILDING',
      'vm-0 | BUILDING',
      'vm-1 | BUILDING',
      '## .columns state,launched,failures,total,hosts ns schedule status',
      'state     | launched | failures | total | hosts',
      'completed | 4        | 0        | 4     | 1',
      '## vm launch',
      'E: namespace must contain at least one queued VM to launch VMs',
      '## ns add-hosts nope',
      'E: unknown host: `nope`',
      '## ns del-hosts all',
      '## ns hosts',
      '## vm launch kvm c',
      '## vm launch',
      'E: namespace must contain at least one host to launch VMs',
      '',
    ].join('\n'),
  );
});

test('ns queue prints each batch with its config', async () => {
  await using d = await vmDaemon();
  await d.run('ns queueing true');
  await d.run('vm config memory 64');
  await d.run('vm launch kvm foo[1-3]');
  const q = (await d.run('ns queue')).text;
  expect(q).toMatch(/^VMs: 3\nNames: foo\[1-3\]\nVM Type: kvm\n\nVM configuration:/);
  expect(q).toMatch(/Memory:\s+64/);
  await d.run('ns flush');
  expect((await d.run('ns queue')).text).toBe('');
});

test('ns run runs on the namespace hosts; nested forms are refused, never hang', async () => {
  await using d = await vmDaemon();
  expect((await d.run('ns run vm config memory')).text).toBe('2048');
  expect((await d.run('ns run ns run vm info')).errors).toEqual([
    'cannot run `ns run vm info` using `ns run`',
  ]);
  expect((await d.run('ns run vm launch kvm a')).errors).toEqual([
    'cannot run `vm launch kvm a` using `ns run`',
  ]);
  expect((await d.run('ns run namespace foo read /dev/null')).errors).toEqual([
    'cannot run `read /dev/null` using `ns run`',
  ]);
});

test('ns save (minimega tests/ns_save, .state files): saves, pauses, progress, launch.mm', async () => {
  await using d = await vmDaemon();
  const t = await d.transcript([
    'namespace matrix',
    'vm config disk morpheus.qcow2',
    'vm launch kvm neo[1-2]',
    'vm config vcpus 2',
    'vm config memory 2048',
    'vm launch kvm trinity',
    'clear vm config',
    'vm launch kvm mouse',
    'ns save',
    'ns save matrix',
    '.column name,status vm save',
    'ns snapshot',
    '.column name,state vm info',
    'ns snapshot matrix',
    'clear namespace matrix',
  ]);
  expect(t).toBe(
    [
      '## namespace matrix',
      '## vm config disk morpheus.qcow2',
      '## vm launch kvm neo[1-2]',
      '## vm config vcpus 2',
      '## vm config memory 2048',
      '## vm launch kvm trinity',
      '## clear vm config',
      '## vm launch kvm mouse',
      '## ns save',
      'completed | total',
      '0         | 0',
      '## ns save matrix',
      '## .column name,status vm save',
      'name    | status',
      'mouse   | completed',
      'neo1    | completed',
      'neo2    | completed',
      'trinity | completed',
      '## ns snapshot',
      'completed | total',
      '4         | 4',
      '## .column name,state vm info',
      'name    | state',
      'mouse   | PAUSED',
      'neo1    | PAUSED',
      'neo2    | PAUSED',
      'trinity | PAUSED',
      '## ns snapshot matrix',
      'E: saved VM with this name already exists',
      '## clear namespace matrix',
      '',
    ].join('\n'),
  );
  const dir = join(d.base, 'files', 'saved', 'matrix');
  for (const f of ['launch.mm', 'neo1.state', 'neo1.hdd', 'neo2.hdd', 'trinity.hdd', 'mouse.state'])
    expect(await exists(join(dir, f)), f).toBe(true);
  // mouse has no disk
  expect(await exists(join(dir, 'mouse.hdd'))).toBe(false);
  const mm = await readFile(join(dir, 'launch.mm'), 'utf8');
  expect(mm).toMatch(/^namespace "matrix"\n\nns queueing false\n\nclear vm config\n/);
  expect(mm).toContain(
    'vm config state file:saved/matrix/trinity.state\nvm config disks file:saved/matrix/trinity.hdd\nvm launch kvm "trinity"\n',
  );
  // memory 2048 is the default: only vcpus differs
  expect(mm).toMatch(/vm config vcpus 2\nvm config disks [^\n]*morpheus.qcow2\n/);
});

test('ns del-bridge and clear namespace tear down the bridges the namespace recorded', async () => {
  await using d = await vmDaemon({ net: true });
  // `ns bridge` needs two resolvable hosts; record its result directly
  const ns = await d.core.namespaces.getOrCreate('other');
  await d.run('namespace other tap create 5 bridge br_a');
  await d.run('namespace other tap create 6 bridge br_b');
  ns.tunnels.add('br_a', 11);
  ns.tunnels.add('br_b', 12);
  const bridges = async () => (await d.run('.columns bridge bridge')).text;
  expect(await bridges()).toContain('br_a');
  expect(await d.transcript(['ns del-bridge br_a', 'namespace other ns del-bridge br_a'])).toBe(
    [
      '## ns del-bridge br_a',
      'E: bridge is not associated with namespace',
      '## namespace other ns del-bridge br_a',
      '',
    ].join('\n'),
  );
  expect(ns.tunnels.list()).toEqual([{ bridge: 'br_b', key: 12 }]);
  expect(await bridges()).not.toContain('br_a');
  expect(await d.transcript(['namespace other ns del-bridge br_a'])).toContain(
    'E: bridge is not associated with namespace',
  );
  await d.run('clear namespace other');
  expect(await bridges()).not.toContain('br_b');
  expect((await d.core.namespaces.getOrCreate('other')).tunnels.list()).toEqual([]);
});

test('clear all destroys every namespace and its settings, as minimega runs clear namespace all', async () => {
  await using d = await vmDaemon();
  const t = await d.transcript([
    'ns queueing true',
    'namespace foo',
    'ns queueing true',
    'namespace bar',
    'clear all',
    '.columns namespace,active namespace',
    'ns queueing',
    'vm launch kvm a',
    '.columns name,state vm info',
  ]);
  expect(t).toBe(
    [
      '## ns queueing true',
      '## namespace foo',
      '## ns queueing true',
      '## namespace bar',
      '## clear all',
      '## .columns namespace,active namespace',
      'namespace | active',
      'minimega  | true',
      '## ns queueing',
      'false',
      '## vm launch kvm a',
      '## .columns name,state vm info',
      'name | state',
      'a    | BUILDING',
      '',
    ].join('\n'),
  );
});
