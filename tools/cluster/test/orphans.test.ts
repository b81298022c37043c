// The soak's orphan check on stand-in processes: a copy of `tail` named
// qemu-system-… whose command line names an instance dir under a cluster
// dir. It is found, described by host, instance, record and daemon log, and
// only waited for while a SIGKILL is pending.
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { describeOrphan, leftQemus, qemuUnder, sigkillPending } from '../src/orphans.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function fakeCluster() {
  const dir = await mkdtemp(join(tmpdir(), `mm-orphans-${process.pid}-`));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  // the program lives outside the cluster dir (only its argument may be inside)
  const binDir = await mkdtemp(join(tmpdir(), `mm-orphans-bin-${process.pid}-`));
  cleanups.push(() => rm(binDir, { recursive: true, force: true }));
  const bin = join(binDir, 'qemu-system-x86_64');
  await copyFile('/usr/bin/tail', bin);
  await execa('chmod', ['+x', bin]);
  return { dir, bin };
}

/** the stand-in: `tail -f FILE` runs until killed and keeps FILE in its command line */
function start(bin: string, args: string[]) {
  const p = execa(bin, args, { reject: false });
  cleanups.push(async () => {
    p.kill('SIGKILL');
    await p;
  });
  return p;
}

describe('orphaned QEMU check', () => {
  it('finds a QEMU under the cluster dir and names its host, VM, record and log lines', async () => {
    const { dir, bin } = await fakeCluster();
    const inst = join(dir, 'n2', '7');
    await mkdir(inst, { recursive: true });
    await writeFile(
      join(inst, 'vm.json'),
      JSON.stringify({ name: 'soak3', namespace: 'minimega', state: 'QUIT', pid: 11 }),
    );
    await writeFile(join(inst, 'qemu.pid'), '12\n');
    await writeFile(join(inst, 'qmp'), '');
    await writeFile(
      join(dir, 'n2.log'),
      'INFO unrelated\nWARN recovered 0 running VM(s); 1 without a process: minimega/soak3 (id 7): QUIT (QUIT)\nINFO shutting down: caught SIGTERM\n',
    );
    const elsewhere = await mkdtemp(join(tmpdir(), `mm-orphans-other-${process.pid}-`));
    cleanups.push(() => rm(elsewhere, { recursive: true, force: true }));
    await writeFile(join(elsewhere, 'qmp'), '');
    const p = start(bin, ['-f', join(inst, 'qmp')]);
    start(bin, ['-f', join(elsewhere, 'qmp')]);
    let pids: number[] = [];
    for (let i = 0; i < 100 && pids.length === 0; i++) {
      pids = qemuUnder(dir);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(pids).toEqual([p.pid]);
    expect(sigkillPending(p.pid as number)).toBe(false);
    const text = describeOrphan(dir, p.pid as number);
    expect(text).toContain(`pid ${p.pid}: host n2, instance 7`);
    expect(text).toContain('record minimega/soak3 state QUIT pid 11, qemu.pid 12');
    expect(text).toContain('minimega/soak3 (id 7): QUIT');
    expect(text).toContain('shutting down: caught SIGTERM');
    expect(text).not.toContain('unrelated');
    // nothing is going to end it (no SIGKILL pending): reported, not waited for
    expect(await leftQemus(dir, 600_000)).toEqual([p.pid]);
    // once killed it is no orphan
    p.kill('SIGKILL');
    await p;
    expect(await leftQemus(dir)).toEqual([]);
  });
});
