// nuke against a base a "crashed daemon" left: instance dirs whose recorded
// processes still run (stand-ins: `sleep` with the instance dir as cwd), a
// stale pid file naming someone else's process, state files, a files dir.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { describe, expect, it } from 'vitest';
import { nukeBase } from '../../src/recovery/nuke.js';
import { procInfo } from '../../src/recovery/procs.js';
import { daemonProcess, minimega, tempBase } from '../helpers.js';

function record(id: number, dir: string, pid: number, extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    id,
    name: `vm${id}`,
    namespace: 'minimega',
    type: 'kvm',
    state: 'RUNNING',
    uuid: `00000000-0000-0000-0000-00000000000${id}`,
    pid,
    instanceDir: dir,
    taps: [],
    sockets: {},
    ...extra,
  });
}

async function leftovers(
  base: string,
): Promise<{ procs: ResultPromise[]; bystander: ResultPromise }> {
  const procs: ResultPromise[] = [];
  for (const id of [0, 1]) {
    const dir = join(base, String(id));
    await mkdir(dir, { recursive: true });
    const p = execa('sleep', ['600'], { cwd: dir, reject: false });
    procs.push(p);
    await writeFile(join(dir, 'vm.json'), record(id, dir, p.pid!));
  }
  // a dead VM, and a pid file whose pid now belongs to an unrelated process
  const bystander = execa('sleep', ['600'], { reject: false });
  await mkdir(join(base, '2'));
  await writeFile(join(base, '2', 'vm.json'), record(2, join(base, '2'), 999_999_9));
  await writeFile(join(base, '2', 'qemu.pid'), String(bystander.pid));
  await mkdir(join(base, 'files'), { recursive: true });
  await writeFile(join(base, 'files', 'disk.qcow2'), 'image');
  await writeFile(join(base, 'bridges'), 'Bridge Existed before minimega Active VLANS\n');
  await mkdir(join(base, 'namespaces', 'minimega'), { recursive: true });
  return { procs, bystander };
}

describe('nuke', () => {
  it('kills recorded processes that still are theirs, removes instance dirs and state, keeps files', async () => {
    await using base = await tempBase();
    const { procs, bystander } = await leftovers(base.path);
    try {
      const report = await nukeBase({
        base: base.path,
        filepath: join(base.path, 'files'),
        all: false,
      });
      expect(report.errors).toEqual([]);
      const killed = report.removed.filter((r) => r.kind === 'process').map((r) => Number(r.name));
      expect(killed.sort()).toEqual(procs.map((p) => p.pid!).sort());
      for (const p of procs) expect(procInfo(p.pid!)).toBeUndefined();
      expect(procInfo(bystander.pid!)).toBeDefined(); // a reused pid is never killed
      for (const gone of ['0', '1', '2', 'bridges', 'namespaces'])
        expect(existsSync(join(base.path, gone)), gone).toBe(false);
      expect(existsSync(join(base.path, 'files', 'disk.qcow2'))).toBe(true);
      expect(report.removed).toContainEqual({
        kind: 'file',
        name: join(base.path, '0'),
        detail: 'instance dir',
      });
    } finally {
      for (const p of [...procs, bystander]) p.kill('SIGKILL');
    }
  });

  it('minimega -nuke works without a daemon and prints what it removed; "all" removes the files too', async () => {
    await using base = await tempBase();
    const { procs, bystander } = await leftovers(base.path);
    try {
      const r = await minimega(['-base', base.path, '-nuke']);
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(/^kind +name +detail\n/);
      expect(r.stdout).toContain(`process ${procs[0]!.pid}`);
      expect(existsSync(join(base.path, 'files', 'disk.qcow2'))).toBe(true);
      const again = await minimega(['-base', base.path, '-nuke']);
      expect(again.stdout).toBe(`nothing to remove under ${base.path}`);
      const all = await minimega(['-base', base.path, '-nuke', 'all']);
      expect(all.exitCode).toBe(0);
      expect(all.stdout).toContain(join(base.path, 'files'));
      expect(existsSync(join(base.path, 'files'))).toBe(false);
      const bad = await minimega(['-base', base.path, '-nuke', 'everything']);
      expect([bad.exitCode, bad.stderr]).toEqual([
        2,
        'minimega: -nuke takes only "all" (remove the files directory too), not ["everything"]',
      ]);
    } finally {
      for (const p of [...procs, bystander]) p.kill('SIGKILL');
    }
  });

  it('a daemon finding live VMs of a crashed one says so; -e nuke through it answers, removes them and stops it', async () => {
    await using base = await tempBase();
    const { procs, bystander } = await leftovers(base.path);
    try {
      const d = await daemonProcess([], { base: base.path });
      const refused = await minimega(['-base', base.path, '-nuke']);
      expect(refused.exitCode).toBe(1);
      expect(refused.stderr).toContain('-e nuke');
      const r = await minimega(['-base', base.path, '-e', 'nuke']);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`\\| process +\\| ${procs[1]!.pid} +\\| sleep`));
      const exit = await d.proc;
      expect(exit.exitCode).toBe(0);
      expect(String(exit.stderr)).toMatch(
        /2 VM\(s\) of a previous minimega still run under .* \(instance ids 0, 1\): restart with -recover to adopt them, or remove them with "minimega -base .* -nuke"/,
      );
      for (const p of procs) expect(procInfo(p.pid!)).toBeUndefined();
      expect(existsSync(join(base.path, 'minimega'))).toBe(false);
      expect(existsSync(join(base.path, 'files', 'disk.qcow2'))).toBe(true);
    } finally {
      for (const p of [...procs, bystander]) p.kill('SIGKILL');
    }
  });
});
