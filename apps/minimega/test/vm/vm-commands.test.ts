import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CONFIG_FIELDS, type FakeDriver } from '@mm/qemu';
import { describe, expect, test } from 'vitest';
import { INFO_COLUMNS } from '../../src/commands/vm/format.js';
import { vmDaemon } from './harness.js';

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

describe('vm config', () => {
  test('vm_config transcript (files dir paths, Go parse errors, lists)', async () => {
    await using d = await vmDaemon();
    const files = join(d.base, 'files');
    const out = await d.transcript([
      'vm config memory',
      'vm config memory foo',
      'vm config memory 1024',
      'vm config memory',
      'clear vm config memory',
      'vm config memory',
      'vm config cdrom foo',
      'vm config cdrom',
      'vm config migrate bar',
      'vm config state',
      'vm config disk b c',
      'vm config disk',
      'clear vm config disk',
      'vm config disk',
      'vm config append a b c',
      'vm config append',
      'clear vm config append',
      'vm config append',
      'vm config snapshot false',
      'vm config snapshot',
    ]);
    expect(out).toBe(
      [
        '## vm config memory',
        '2048',
        '## vm config memory foo',
        'E: strconv.ParseUint: parsing "foo": invalid syntax',
        '## vm config memory 1024',
        '## vm config memory',
        '1024',
        '## clear vm config memory',
        '## vm config memory',
        '2048',
        '## vm config cdrom foo',
        '## vm config cdrom',
        `${files}/foo`,
        '## vm config migrate bar',
        '## vm config state',
        `${files}/bar`,
        '## vm config disk b c',
        '## vm config disk',
        `[${files}/b ${files}/c]`,
        '## clear vm config disk',
        '## vm config disk',
        '[]',
        '## vm config append a b c',
        '## vm config append',
        '[a b c]',
        '## clear vm config append',
        '## vm config append',
        '## vm config snapshot false',
        '## vm config snapshot',
        'false',
        '',
      ].join('\n'),
    );
  });

  test('every scalar field sets, prints and clears through the CLI', async () => {
    await using d = await vmDaemon();
    for (const f of CONFIG_FIELDS) {
      if (f.kind === 'special' || f.name === 'cpu' || f.name === 'machine') continue;
      const def = (await d.run(`vm config ${f.name}`)).text;
      const value =
        f.kind === 'bool'
          ? def.trim() === 'true'
            ? 'false'
            : 'true'
          : f.kind === 'uint' || f.kind === 'int'
            ? f.name === 'android-console-base-port'
              ? '5560'
              : '3'
            : // schedule names a host of the namespace (checked at config time)
              f.name === 'schedule'
              ? 'testhost'
              : 'zz';
      expect((await d.run(`vm config ${f.name} ${value}`)).errors, f.name).toEqual([]);
      const set = (await d.run(`vm config ${f.name}`)).text.trim();
      if (f.kind === 'path') expect(set, f.name).toBe(join(d.base, 'files', value));
      else if (f.kind === 'list') expect(set, f.name).toBe(`[${value}]`);
      else expect(set, f.name).toBe(value);
      await d.run(`clear vm config ${f.name}`);
      expect((await d.run(`vm config ${f.name}`)).text, f.name).toBe(def);
      if (f.kind === 'uint') {
        expect((await d.run(`vm config ${f.name} nope`)).errors, f.name).toEqual([
          'strconv.ParseUint: parsing "nope": invalid syntax',
        ]);
      }
    }
  });

  test('cpu and machine are checked against what QEMU supports', async () => {
    await using d = await vmDaemon();
    expect((await d.run('vm config cpu not-a-cpu')).errors[0]).toMatch(
      /invalid QEMU CPU: `not-a-cpu`, see help|unable to determine valid QEMU CPUs/,
    );
    expect((await d.run('vm config machine not-a-machine')).errors[0]).toMatch(
      /invalid QEMU machine: `not-a-machine`, see help|unable to determine valid QEMU machines/,
    );
  });

  test('tags, qemu-override, clear vm config resets everything', async () => {
    await using d = await vmDaemon();
    await d.run('vm config tags color red');
    expect((await d.run('vm config tags')).text).toBe('color -> red');
    expect((await d.run('vm config tags color')).text).toBe('');
    await d.run('vm config qemu-override "-m 2048" "-m 64"');
    const ov = (await d.run('vm config qemu-override')).text;
    expect(ov).toContain('0\t"-m 2048"\t"-m 64"');
    expect(ov).toContain('\nAfter overrides:\n-name 0 -m 64 -nographic');
    await d.run('vm config memory 5');
    await d.run('clear vm config');
    expect((await d.run('vm config tags')).text).toBe('');
    expect((await d.run('vm config memory')).text).toBe('2048');
    expect((await d.run('vm config')).text).toContain('Memory:           2048\n');
  });

  test('save, restore, clone', async () => {
    await using d = await vmDaemon();
    expect((await d.run('vm config restore')).errors).toEqual(['no vm configs saved']);
    await d.run('vm config memory 100');
    await d.run('vm config save small');
    await d.run('clear vm config');
    expect((await d.run('vm config restore')).text).toBe('small');
    expect((await d.run('vm config restore nope')).errors).toEqual(['config nope does not exist']);
    await d.run('vm config restore small');
    expect((await d.run('vm config memory')).text).toBe('100');
    expect((await d.run('vm launch kvm a nope')).errors).toEqual(['config nope does not exist']);
    await d.run('clear vm config');
    await d.run('vm launch kvm a small');
    expect((await d.run('.columns memory vm info')).text).toContain('100');
    expect((await d.run('vm config clone b')).errors).toEqual(['vm not found: b']);
    await d.run('vm config clone a');
    expect((await d.run('vm config memory')).text).toBe('100');
    expect((await d.run('vm config uuid')).text).toBe('');
  });
});

describe('vm launch', () => {
  test('bad names and counts', async () => {
    await using d = await vmDaemon();
    const errs = async (l: string) => (await d.run(l)).errors;
    expect(await errs('vm launch kvm [0]')).toEqual(['invalid vm name, `0` is an integer']);
    expect(await errs('vm launch kvm all')).toEqual(['invalid vm name, `all` is a reserved word']);
    expect(await errs('vm launch kvm foo,[0]')).toEqual(['invalid vm name, `0` is an integer']);
    expect(await errs('vm launch kvm foo,all')).toEqual([
      'invalid vm name, `all` is a reserved word',
    ]);
    expect(await errs('vm launch kvm 0')).toEqual(['invalid number of vms (must be > 0)']);
    expect(await errs('vm launch kvm a,a')).toEqual(['`a` is specified twice in VMs to launch']);
    expect(await errs('vm launch kvm foo[1-3]bar')).toHaveLength(1);
    expect(await errs('vm launch kvm bad/name')).toEqual([
      'invalid name; must only include letters, numbers, hyphens and underscores: `bad/name`',
    ]);
    expect(await errs('vm launch kvm a')).toEqual([]);
    expect(await errs('vm launch kvm a')).toEqual(['vm already exists with name `a`']);
    await d.run('vm config uuid 11111111-2222-3333-4444-555555555555');
    expect(await errs('vm launch kvm b,c')).toEqual([
      'cannot launch multiple VMs with a pre-configured UUID',
    ]);
    expect(await errs('vm launch kvm b')).toEqual([]);
    expect(await errs('vm launch kvm c')).toEqual([
      'vm already exists with UUID `11111111-2222-3333-4444-555555555555`',
    ]);
  });

  test('unnamed VMs are vm-N from a per-namespace counter; ids are node-wide', async () => {
    await using d = await vmDaemon();
    await d.run('vm launch kvm 3');
    await d.run('namespace other vm launch kvm 2');
    expect((await d.run('.columns id,name vm info')).text).toBe(
      'id   | name\n0    | vm-0\n1    | vm-1\n2    | vm-2',
    );
    expect((await d.run('namespace other .columns id,name vm info')).text).toBe(
      'id   | name\n3    | vm-0\n4    | vm-1',
    );
  });

  test('each VM gets its own config copy, UUID, state dir with name and config', async () => {
    await using d = await vmDaemon();
    await d.run('vm config memory 77');
    await d.run('vm launch kvm x,y');
    await d.run('vm config memory 88');
    const { text } = await d.run('.columns name,memory,uuid vm info');
    const rows = text
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split('|').map((c) => c.trim()));
    expect(rows.map((r) => r[1])).toEqual(['77', '77']);
    expect(rows[0]![2]).not.toBe(rows[1]![2]);
    expect(await readFile(join(d.base, '0', 'name'), 'utf8')).toBe('x');
    expect(await readFile(join(d.base, '0', 'config'), 'utf8')).toBe(
      `vm config uuid ${rows[0]![2]}\nvm config memory 77\n`,
    );
  });
});

describe('lifecycle', () => {
  test('tab completion of VM targets offers the VMs each command applies to', async () => {
    await using d = await vmDaemon();
    await d.run('vm launch kvm web[1-2],db');
    await d.run('vm start web1');
    await d.run('vm start db');
    await d.run('vm kill db');
    expect(await d.core.complete('vm start ')).toEqual([
      'vm start all ',
      'vm start db ',
      'vm start web2 ',
    ]);
    expect(await d.core.complete('vm stop w')).toEqual(['vm stop web1 ']);
    expect(await d.core.complete('vm kill ')).toEqual([
      'vm kill all ',
      'vm kill web1 ',
      'vm kill web2 ',
    ]);
    expect(await d.core.complete('vm flush ')).toEqual(['vm flush all ', 'vm flush db ']);
    // one-VM commands offer no `all`; target commands do
    expect(await d.core.complete('vm qmp ')).toEqual([
      'vm qmp db ',
      'vm qmp web1 ',
      'vm qmp web2 ',
    ]);
    expect(await d.core.complete('vm tag w')).toEqual(['vm tag web1 ', 'vm tag web2 ']);
    expect(await d.core.complete('vm cdrom eject a')).toEqual(['vm cdrom eject all ']);
  });

  test('vm_lifecycle transcript', async () => {
    await using d = await vmDaemon();
    const info = '.columns name,state vm info';
    const out = await d.transcript([
      'vm launch kvm foo[0-2]',
      'vm start foo0',
      'vm kill foo0',
      info,
      'vm start foo0',
      'vm kill foo1',
      'vm start all',
      info,
      'vm start foo1',
      'vm stop foo0',
      info,
      'vm kill foo0',
      'vm flush',
      info,
      'vm kill all',
      'vm flush',
      info,
    ]);
    expect(out).toBe(
      [
        '## vm launch kvm foo[0-2]',
        '## vm start foo0',
        '## vm kill foo0',
        `## ${info}`,
        'name | state',
        'foo0 | QUIT',
        'foo1 | BUILDING',
        'foo2 | BUILDING',
        '## vm start foo0',
        '## vm kill foo1',
        '## vm start all',
        `## ${info}`,
        'name | state',
        'foo0 | RUNNING',
        'foo1 | QUIT',
        'foo2 | RUNNING',
        '## vm start foo1',
        '## vm stop foo0',
        `## ${info}`,
        'name | state',
        'foo0 | PAUSED',
        'foo1 | RUNNING',
        'foo2 | RUNNING',
        '## vm kill foo0',
        '## vm flush',
        `## ${info}`,
        'name | state',
        'foo1 | RUNNING',
        'foo2 | RUNNING',
        '## vm kill all',
        '## vm flush',
        `## ${info}`,
        '',
      ].join('\n'),
    );
  });

  test('target errors', async () => {
    await using d = await vmDaemon();
    await d.run('vm launch kvm a,b');
    expect((await d.run('vm start nope')).errors).toEqual(['vm not found: nope']);
    expect((await d.run('vm stop a')).errors).toEqual(['VM state error: a']);
    expect((await d.run('vm start a')).errors).toEqual([]);
    expect((await d.run('vm start a')).errors).toEqual(['vm is already running']);
    expect((await d.run('vm start a,nope')).errors).toEqual(['vm is already running']);
    expect((await d.run('vm start 1')).errors).toEqual([]);
    expect((await d.run('vm flush nope')).errors).toEqual(['vm not found: nope']);
  });

  test('a crash shows ERROR with the reason in vm info; flush removes its dir', async () => {
    await using d = await vmDaemon();
    await d.run('vm launch kvm c');
    await d.run('vm start c');
    const drv = d.driver as FakeDriver;
    drv.processes.get(0)!.crash('qemu killed by SIGSEGV');
    await new Promise((r) => setTimeout(r, 20));
    expect((await d.run('.columns name,state,tags vm info')).text).toBe(
      'name | state | tags\nc    | ERROR | {"error":"qemu killed by SIGSEGV"}',
    );
    expect(await readFile(join(d.base, '0', 'state'), 'utf8')).toBe('ERROR');
    await d.run('vm flush');
    expect(await exists(join(d.base, '0'))).toBe(false);
    expect((await d.run('vm info')).text).toBe('');
  });

  test('a failed launch is reported and leaves the VM in ERROR', async () => {
    await using d = await vmDaemon();
    (d.driver as FakeDriver).failNextStart(0, 'unable to start qemu: no such binary');
    expect((await d.run('vm launch kvm bad')).errors).toEqual([
      'unable to start qemu: no such binary',
    ]);
    expect((await d.run('.columns state vm info')).text).toBe('state\nERROR');
  });

  test('clear all kills and flushes every VM and resets vm config; shutdown kills', async () => {
    await using d = await vmDaemon();
    await d.run('vm config memory 9');
    await d.run('vm launch kvm a');
    await d.run('namespace n2 vm launch kvm b');
    const drv = d.driver as FakeDriver;
    await d.run('clear all');
    expect((await d.run('vm info')).text).toBe('');
    expect((await d.run('namespace n2 vm info')).text).toBe('');
    expect((await d.run('vm config memory')).text).toBe('2048');
    expect(await exists(join(d.base, '0'))).toBe(false);
    await d.run('vm launch kvm c');
    const proc = drv.processes.get(2)!;
    let exited = false;
    void proc.exited.then(() => {
      exited = true;
    });
    await d.core.shutdown('test');
    await new Promise((r) => setTimeout(r, 10));
    expect(exited).toBe(true);
  });

  test('vmStats counts VMs and commitments for `host`', async () => {
    await using d = await vmDaemon();
    await d.run('vm config vcpus 2');
    await d.run('vm config memory 100');
    await d.run('vm launch kvm 3');
    expect(d.core.services.vmStats?.()).toEqual({
      vms: 3,
      cpucommit: 6,
      memcommit: 300,
      netcommit: 0,
    });
  });
});

describe('vm info', () => {
  test('every column, summary, filters', async () => {
    await using d = await vmDaemon();
    await d.run('vm config append console=ttyS0 quiet');
    await d.run('vm config disk a,virtio');
    await d.run('vm launch kvm foo[1-2],bar');
    const full = (await d.run('vm info')).text
      .split('\n')[0]!
      .split('|')
      .map((s) => s.trim());
    expect(full).toEqual([...INFO_COLUMNS]);
    expect(
      (await d.run('vm info summary')).text
        .split('\n')[0]!
        .split('|')
        .map((s) => s.trim()),
    ).toEqual(['id', 'name', 'state', 'type', 'uuid', 'cc_active', 'vlan']);
    const disk = `${join(d.base, 'files', 'a')},virtio`;
    expect(
      (await d.run('.filter name=bar .columns name,append,disks,save,type,init vm info')).text,
    ).toBe(
      `name | append                | ${'disks'.padEnd(disk.length)} | save | type | init\nbar  | [console=ttyS0 quiet] | ${disk} | N/A  | kvm  | N/A`,
    );
    expect((await d.run('.columns ip6,ip vm info')).text).toBe(
      'ip6  | ip\n[]   | []\n[]   | []\n[]   | []',
    );
  });
});

describe('vm tag, qmp, screenshot, cdrom, hotplug, save', () => {
  test('vm_tags transcript', async () => {
    await using d = await vmDaemon();
    const out = await d.transcript([
      'vm config tag color red',
      'vm launch kvm vm0',
      'vm config tag shape square',
      'vm launch kvm vm[1,2]',
      'clear vm config tag color',
      'vm launch kvm vm3',
      'vm tag vm1 color blue',
      'clear vm config tag',
      '.column tags vm info',
      'vm tag vm1',
      'vm tag vm1 color',
      'vm tag all all z',
      'clear vm tag vm1 color',
      'vm tag vm1 color',
      'clear vm tag',
      '.column tags vm info',
    ]);
    expect(out).toContain(
      '## .column tags vm info\ntags\n{"color":"blue","shape":"square"}\n{"color":"red","shape":"square"}\n{"color":"red"}\n{"shape":"square"}\n',
    );
    expect(out).toContain(
      '## vm tag vm1\nname | tag   | value\nvm1  | color | blue\nvm1  | shape | square\n',
    );
    expect(out).toContain('## vm tag vm1 color\nname | value\nvm1  | blue\n');
    expect(out).toContain('## vm tag all all z\nE: cannot assign to wildcard\n');
    expect(out).toContain('## clear vm tag vm1 color\n## vm tag vm1 color\nname | value\nvm1  |\n');
    expect(out.endsWith('## .column tags vm info\ntags\n{}\n{}\n{}\n{}\n')).toBe(true);
  });

  test('vm qmp', async () => {
    await using d = await vmDaemon();
    await d.run('vm launch kvm foo');
    expect((await d.run(`vm qmp foo '{ "execute": "query-status" }'`)).text).toBe(
      '{"return":{"running":false,"singlestep":false,"status":"prelaunch"}}',
    );
    expect((await d.run(`vm qmp foo '{ "execute": "nope" }'`)).errors).toEqual([
      'received nil status: CommandNotFound: The command nope has not been found',
    ]);
    expect((await d.run(`vm qmp foo '{ nope'`)).errors[0]).toMatch(/^invalid JSON: /);
    expect((await d.run(`vm qmp bar '{}'`)).errors).toEqual(['vm not found: bar']);
  });

  test('vm screenshot needs RUNNING and writes a PNG', async () => {
    await using d = await vmDaemon();
    await d.run('vm launch kvm s');
    expect((await d.run('vm screenshot s')).errors).toEqual(['vm not running: 0']);
    await d.run('vm start s');
    // a bad size names the argument (it used to claim Atoi could not parse "-5")
    expect((await d.run('vm screenshot s -5')).errors).toEqual([
      'invalid maximum dimension: `-5` (a number of pixels, or 0 for full size)',
    ]);
    const r = await d.run('vm screenshot s file shot.png 1');
    expect(r.errors).toEqual([]);
    const png = await readFile(join(d.base, 'files', 'shot.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(await exists(join(d.base, '0', 'screenshot.png'))).toBe(true);
  });

  test('vm cdrom change/eject update the cdrom column; hotplug add/list/remove', async () => {
    await using d = await vmDaemon();
    await d.run('vm launch kvm c');
    expect((await d.run('vm cdrom change c /nonexistent.iso')).errors[0]).toMatch(/ENOENT/);
    // a VM's instance dir is the daemon's own: refused on the VM's host (served-files.ts)
    const own = join(d.base, '0', 'name');
    expect((await d.run(`vm cdrom change c ${own}`)).errors).toEqual([
      `refusing ${own}: a VM instance directory`,
    ]);
    expect((await d.run(`vm hotplug add c ${own}`)).errors).toEqual([
      `refusing ${own}: a VM instance directory`,
    ]);
    const iso = join(d.base, 'files', 'c.iso');
    await mkdir(join(d.base, 'files'), { recursive: true });
    await writeFile(iso, 'iso');
    expect((await d.run(`vm cdrom change c ${iso}`)).errors).toEqual([]);
    expect((await d.run('.columns cdrom vm info')).text).toBe(`cdrom\n${iso}`);
    await d.run('vm cdrom eject c');
    expect((await d.run('.columns cdrom vm info')).text).toMatch(/^cdrom\s*$/);
    expect((await d.run(`vm hotplug add c ${iso} 9.9`)).errors).toEqual(['invalid version: `9.9`']);
    expect((await d.run(`vm hotplug add c ${iso}`)).errors).toEqual([]);
    expect((await d.run(`vm hotplug add c ${iso} serial abc 2.0`)).errors).toEqual([]);
    expect((await d.run('vm hotplug')).text).toBe(
      `name | id | ${'file'.padEnd(iso.length)} | version\nc    | 0  | ${iso} | 1.1\nc    | 1  | ${iso} | 2.0`,
    );
    expect((await d.run('vm hotplug remove c 7')).errors).toEqual(['no such hotplug device']);
    expect((await d.run('vm hotplug remove c x')).errors).toEqual(['invalid disk: `x`']);
    expect((await d.run('vm hotplug remove c all')).errors).toEqual([]);
    expect((await d.run('vm hotplug')).text).toBe('');
    const fake = (d.driver as FakeDriver).processes.get(0)!;
    expect(fake.commands).toContain(
      `hmp:device_add usb-storage,id=hotplug1,drive=hotplug1,bus=xhci.0,serial=abc`,
    );
  });

  test('vm save migrates the state under the files dir', async () => {
    await using d = await vmDaemon();
    await d.run('vm launch kvm s');
    await d.run('vm start s');
    expect((await d.run('vm save s')).errors).toEqual([]);
    expect((await d.run('.columns name,state vm info')).text).toBe('name | state\ns    | PAUSED');
    const fake = (d.driver as FakeDriver).processes.get(0)!;
    expect(fake.commands).toContain('migrate');
    expect(await exists(join(d.base, 'files', 'saved', 's.state'))).toBe(true);
  });

  test('vm save / migrate / snapshot: file names, disks, status table, errors', async () => {
    await using d = await vmDaemon();
    const files = join(d.base, 'files');
    const t = await d.transcript([
      'vm config disk base.qcow2',
      'vm launch kvm a,b,c',
      'vm migrate',
      'vm save a',
      'vm migrate b b.migrate',
      `vm snapshot c st/c.st ${join(d.base, 'abs', 'c.disk')}`,
      'vm save',
      '.columns name,status vm snapshot',
      'vm migrate nope x',
      'vm snapshot a " " d',
      '.columns name,state vm info',
    ]);
    expect(t).toBe(
      [
        '## vm config disk base.qcow2',
        '## vm launch kvm a,b,c',
        '## vm migrate',
        '## vm save a',
        '## vm migrate b b.migrate',
        `## vm snapshot c st/c.st ${join(d.base, 'abs', 'c.disk')}`,
        '## vm save',
        'id   | name | status    | complete (%)',
        '0    | a    | completed | 100.00',
        '1    | b    | completed | 100.00',
        '2    | c    | completed | 100.00',
        '## .columns name,status vm snapshot',
        'name | status',
        'a    | completed',
        'b    | completed',
        'c    | completed',
        '## vm migrate nope x',
        'E: vm not found: nope',
        '## vm snapshot a " " d',
        'E: empty file name',
        '## .columns name,state vm info',
        'name | state',
        'a    | PAUSED',
        'b    | PAUSED',
        'c    | PAUSED',
        '',
      ].join('\n'),
    );
    // vm save: <f>.state + <f>.hdd; vm migrate: exactly its file, no disk;
    // vm snapshot: both of its names (minimega ignored them)
    for (const f of ['saved/a.state', 'saved/a.hdd', 'b.migrate', 'st/c.st'])
      expect(await exists(join(files, f)), f).toBe(true);
    expect(await exists(join(files, 'b.migrate.hdd'))).toBe(false);
    expect(await exists(join(d.base, 'abs', 'c.disk'))).toBe(true);
  });

  test('vm top: a row per VM with a process, minimega columns; bad durations refused', async () => {
    await using d = await vmDaemon();
    await d.run('vm config memory 64');
    await d.run('vm launch kvm a,b');
    await d.run('vm start a');
    await d.run('vm kill b');
    const t = await d.run('vm top 0');
    expect(t.errors).toEqual([]);
    const [head, ...rows] = t.text.split('\n');
    expect(head!.split('|').map((c) => c.trim())).toEqual([
      'name',
      'virt',
      'res',
      'shr',
      'cpu',
      'vcpu',
      'time',
      'procs',
      'rx',
      'tx',
    ]);
    // the fake process: memory as configured, virt twice that
    expect(rows.map((r) => r.split('|').map((c) => c.trim()))).toEqual([
      [
        'a',
        '128',
        '64',
        '0',
        expect.stringMatching(/^\d+\.\d\d$/),
        '0.00',
        '0s',
        '1',
        '0.00',
        '0.00',
      ],
    ]);
    expect((await d.run('vm top x')).errors).toEqual([
      'invalid duration: `x` (whole seconds, 0 to 3600)',
    ]);
    expect((await d.run('vm top 3601')).errors).toHaveLength(1);
  });
});

describe('namespaces', () => {
  test('namespace transcript: VMs belong to their namespace; namespace X cmd does not switch', async () => {
    await using d = await vmDaemon();
    const info = '.columns name,state vm info';
    const out = await d.transcript([
      'vm launch kvm foo',
      'namespace ns1',
      'vm launch kvm foo',
      'namespace ns2',
      'vm launch kvm foo',
      'clear namespace',
      'namespace ns1 vm start all',
      info,
      `namespace ns1 ${info}`,
      'namespace ns2 vm kill all',
      `namespace ns2 ${info}`,
      'namespace ns2 vm flush',
      `namespace ns2 ${info}`,
      'namespace ns3',
      'namespace ns3',
      'namespace',
      'clear namespace',
      'namespace bad/name',
    ]);
    expect(out).toContain(
      `## namespace ns1 vm start all\n## ${info}\nname | state\nfoo  | BUILDING\n## namespace ns1 ${info}\nname | state\nfoo  | RUNNING\n`,
    );
    expect(out).toContain(`## namespace ns2 ${info}\nname | state\nfoo  | QUIT\n`);
    expect(out).toContain(
      `## namespace ns2 vm flush\n## namespace ns2 ${info}\n## namespace ns3\n## namespace ns3\n`,
    );
    expect(out).toContain(
      '## namespace\nnamespace | vlans | active\nminimega  |       | false\nns1       |       | false\nns2       |       | false\nns3       |       | true\n',
    );
    expect(out).toContain(
      '## namespace bad/name\nE: invalid name; must only include letters, numbers, hyphens and underscores\n',
    );
  });

  test('namespace X cmd is not recorded in history; the outer line is', async () => {
    await using d = await vmDaemon();
    await d.run('namespace n1 vm config memory 5');
    expect(d.core.cli.history.entries()).toContain('namespace n1 vm config memory 5');
    expect(d.core.cli.history.entries()).not.toContain('vm config memory 5');
    expect((await d.run('vm config memory')).text).toBe('2048');
    expect((await d.run('namespace n1 vm config memory')).text).toBe('5');
  });

  test('clear namespace NAME kills and flushes its VMs; unknown names do not error', async () => {
    await using d = await vmDaemon();
    await d.run('namespace n1 vm launch kvm a,b');
    expect(await exists(join(d.base, '0'))).toBe(true);
    expect((await d.run('clear namespace n1')).errors).toEqual([]);
    expect(await exists(join(d.base, '0'))).toBe(false);
    expect((await d.run('namespace n1 vm info')).text).toBe('');
    expect((await d.run('clear namespace never-seen')).errors).toEqual([]);
    await d.run('namespace n2');
    await d.run('clear namespace all');
    expect((await d.run('namespace')).text).toContain('minimega  |');
  });
});

describe('VM networking', () => {
  test('NICs: VLANs resolve through networking, taps are created at launch and deleted at flush', async () => {
    await using d = await vmDaemon({ net: true });
    await d.run('vm config net 100 A,13:37:13:37:00:01,virtio-net-pci');
    expect((await d.run('vm config net')).text).toBe('[100 A,13:37:13:37:00:01,virtio-net-pci]');
    await d.run('vm launch kvm n');
    const { text } = await d.run('.columns vlan,bridge,tap,mac vm info');
    expect(text).toMatch(
      /^vlan\s+\| bridge\s+\| tap\s+\| mac\s*\n\[100, A \(\d+\)\] \| \[mega_bridge, mega_bridge\] \| \[mega_tap\d+, mega_tap\d+\] \| \[[0-9a-f:]{17}, 13:37:13:37:00:01\]$/,
    );
    const taps = [...text.matchAll(/mega_tap\d+/g)].map((m) => m[0]);
    expect(taps).toHaveLength(2);
    expect(await d.sw!.links()).toEqual(expect.arrayContaining(taps));
    await d.run('vm kill all');
    expect(await d.sw!.links()).toEqual(expect.arrayContaining(taps)); // kill keeps taps
    await d.run('vm flush');
    const left = await d.sw!.links();
    for (const t of taps) expect(left).not.toContain(t);
  });

  test('a bad netspec empties the list; without networking only numeric VLANs work', async () => {
    await using d = await vmDaemon();
    await d.run('vm config net 100');
    expect((await d.run('vm config net a,b,c,d,e')).errors).toEqual([
      'malformed netspec: `a,b,c,d,e`',
    ]);
    expect((await d.run('vm config net')).text).toBe('[]');
    // among several specs, the error names the bad one
    expect((await d.run('vm config net 100 5000 200')).errors).toEqual([
      'invalid VLAN (0 <= vlan < 4096): `5000`',
    ]);
    expect((await d.run('vm config net ALIAS')).errors[0]).toMatch(/networking module/);
    await d.run('vm config net 100');
    expect((await d.run('vm launch kvm x')).errors[0]).toMatch(/networking module is not running/);
  });
});

describe('concurrency', () => {
  test('concurrent launches of the same name: exactly one wins', async () => {
    await using d = await vmDaemon();
    const [a, b] = await Promise.all([d.run('vm launch kvm same'), d.run('vm launch kvm same')]);
    expect([...a.errors, ...b.errors]).toEqual(['vm already exists with name `same`']);
    expect((await d.run('.columns name vm info')).text).toBe('name\nsame');
  });

  test('vm info shows the VNC shim port', async () => {
    await using d = await vmDaemon();
    await d.run('vm launch kvm v');
    const port = Number((await d.run('.columns vnc_port vm info')).text.split('\n')[1]);
    expect(port).toBeGreaterThan(0);
  });
});

describe('files', () => {
  test('vm launch fetches missing files under the files dir through services.files', async () => {
    await using d = await vmDaemon();
    const asked: string[] = [];
    (d.core.services as { files?: unknown }).files = {
      async get(rel: string) {
        asked.push(rel);
        return join(d.base, 'files', rel);
      },
    };
    await d.run('vm config kernel k');
    await d.run('vm config initrd /abs/elsewhere');
    await d.run('vm config disk sub/disk.img');
    expect((await d.run('vm launch kvm f')).errors).toEqual([]);
    expect(asked).toEqual(['k', 'sub/disk.img']);
  });
});

describe('shutdown', () => {
  test('kills and flushes every VM (instance dirs removed)', async () => {
    await using d = await vmDaemon();
    await d.run('vm launch kvm a,b');
    await d.run('namespace other vm launch kvm c');
    expect(await exists(join(d.base, '2'))).toBe(true);
    await d.core.shutdown('test');
    for (const id of ['0', '1', '2']) expect(await exists(join(d.base, id))).toBe(false);
    expect(await exists(join(d.base, 'namespaces'))).toBe(false);
  });
});

describe('vm net', () => {
  test('add hot-plugs a NIC on a new tap; connect moves it; disconnect detaches it', async () => {
    await using d = await vmDaemon({ net: true });
    await d.run('vm config net 100');
    await d.run('vm launch kvm n');
    expect((await d.run('vm net add n 200,de:ad:be:ef:00:01,virtio-net-pci')).errors).toEqual([]);
    const cols = '.columns vlan,bridge,mac vm info';
    expect((await d.run(cols)).text).toMatch(
      /\[100, 200\] \| \[mega_bridge, mega_bridge\] \| \[[0-9a-f:]{17}, de:ad:be:ef:00:01\]$/,
    );
    const fake = (d.driver as FakeDriver).processes.get(0)!;
    expect(fake.commands.filter((c) => c.startsWith('hmp:'))).toEqual([
      expect.stringMatching(
        /^hmp:netdev_add type=tap,id=mega_tap\d+,ifname=mega_tap\d+,script=no,downscript=no$/,
      ),
      expect.stringMatching(
        /^hmp:device_add id=mega_tap\d+,netdev=mega_tap\d+,bus=pci\.0,driver=virtio-net-pci,mac=de:ad:be:ef:00:01$/,
      ),
    ]);
    expect((await d.run('vm net connect n 0 300 other_bridge')).errors).toEqual([]);
    expect((await d.run(cols)).text).toMatch(/\[300, 200\] \| \[other_bridge, mega_bridge\]/);
    expect((await d.run('vm net connect n 5 300')).errors).toEqual([
      'no network 5, VM only has 2 networks',
    ]);
    expect((await d.run('vm net connect n zero 300')).errors).toEqual([
      'invalid tap position: `zero` (expected 0, 1, ...)',
    ]);
    expect((await d.run('vm net disconnect n -1')).errors).toEqual([
      'invalid tap position: `-1` (expected 0, 1, ...)',
    ]);
    expect((await d.run('vm net disconnect n 1')).errors).toEqual([]);
    expect((await d.run('vm net disconnect n 1')).errors).toEqual([]);
    expect((await d.run(cols)).text).toMatch(/\[300, disconnected\] \| \[other_bridge, \]/);
    expect(await readFile(join(d.base, '0', 'config'), 'utf8')).toContain(
      'vm config networks other_bridge,300',
    );
    const taps = (await d.run('.columns tap vm info')).text.match(/mega_tap\d+/g)!;
    expect(taps).toHaveLength(2);
    await d.run('vm kill all');
    await d.run('vm flush');
    const left = await d.sw!.links();
    for (const t of taps) expect(left).not.toContain(t);
  });

  test("vm info's qos column comes from the VM's record (its host's taps)", async () => {
    await using d = await vmDaemon({ net: true });
    await d.run('vm config net 100 200');
    await d.run('vm launch kvm n');
    expect((await d.run('.columns qos vm info')).text).toMatch(/\[\]$/);
    expect((await d.run('qos add n 1 loss 5')).errors).toEqual([]);
    expect((await d.run('qos add n 1 delay 100ms')).errors).toEqual([]);
    expect((await d.run('.columns qos vm info')).text).toMatch(/\[1: loss 5 delay 100ms\]$/);
    expect((await d.run('clear qos n')).errors).toEqual([]);
    expect((await d.run('.columns qos vm info')).text).toMatch(/\[\]$/);
  });

  test('add with a bad netspec among good ones adds nothing and names the bad one', async () => {
    await using d = await vmDaemon({ net: true });
    await d.run('vm config net 100');
    await d.run('vm launch kvm n');
    expect((await d.run('vm net add n 200 a,b,c,d,e,f 300')).errors).toEqual([
      'malformed netspec: `a,b,c,d,e,f`',
    ]);
    expect((await d.run('.columns vlan vm info')).text).toMatch(/\[100\]$/);
  });

  test('without networking vm net says why', async () => {
    await using d = await vmDaemon();
    await d.run('vm launch kvm n');
    expect((await d.run('vm net add n 100')).errors[0]).toMatch(/networking module is not running/);
  });
});

describe('module composition', () => {
  test('a module that already registered `vm net` keeps it; the daemon still starts', async () => {
    await using d = await vmDaemon({
      before: [
        (core) => {
          core.cli.register({
            helpShort: 'theirs',
            patterns: ['vm net add <vm target> <netspec>...'],
            call(_cmd, out) {
              out.respond({ response: 'theirs' });
            },
          });
        },
      ],
    });
    expect((await d.run('vm net add x 100')).text).toBe('theirs');
    expect((await d.run('vm config memory')).text).toBe('2048');
  });
});

describe('schedule and colocate at config time', () => {
  test('schedule must name a host of the namespace; schedule and colocate exclude each other', async () => {
    await using d = await vmDaemon();
    expect(
      await d.transcript([
        'vm config schedule mm1',
        'vm config schedule localhost',
        'vm config colocate a',
        'clear vm config',
        'vm config colocate a',
        'vm config schedule testhost',
      ]),
    ).toBe(
      [
        '## vm config schedule mm1',
        'E: host is not in namespace: mm1',
        '## vm config schedule localhost',
        '## vm config colocate a',
        'E: cannot specify colocate and schedule in the same config',
        '## clear vm config',
        '## vm config colocate a',
        '## vm config schedule testhost',
        'E: cannot specify schedule and colocate in the same config',
        '',
      ].join('\n'),
    );
  });
});
