// The soak's orphaned QEMU (CI, session 5): a VM's record is written just
// after each answer, so a daemon killed right after `vm start` relaunched a
// QUIT VM left vm.json saying QUIT with the old pid while the new QEMU ran.
// -recover listed the VM as QUIT, nothing managed that QEMU, and even a
// clean shutdown of the recovered daemon left it running forever. Here the
// lost write is made for certain (the stale vm.json is put back after the
// kill -9), and a QEMU with no record and no pidfile (a crash mid-launch) is there too.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { guestImage } from '#test-support';
import { listProcs, procInfo, usesBase } from '../../src/recovery/procs.js';
import { daemonInNetns, restartInNetns } from '../net/daemon-netns.js';
import { realOvsQemu } from '../net/real-support.js';

realOvsQemu.test(
  '-recover adopts a QEMU its record does not name yet, kills one with no record, and SIGTERM of the recovered daemon leaves no QEMU',
  async () => {
    const img = await guestImage();
    await using d = await daemonInNetns('mmru');
    await d.run('vm config memory 64');
    await d.run(`vm config kernel ${img.kernel}`);
    await d.run(`vm config initrd ${img.initrd}`);
    await d.run('vm launch kvm a,b');
    await d.run('vm start a');
    await d.run('vm kill a');
    const recordA = join(d.base, '0', 'vm.json');
    const recorded = async () => JSON.parse(await readFile(recordA, 'utf8')) as { state: string };
    for (let i = 0; (await recorded()).state !== 'QUIT'; i++) {
      expect(i, 'the QUIT record is written').toBeLessThan(100);
      await new Promise((r) => setTimeout(r, 50));
    }
    const stale = await readFile(recordA, 'utf8');
    // relaunches a's QEMU (a new pid)
    await d.run('vm start a');
    const pidOf = async (run: (l: string) => Promise<string>, name: string) =>
      Number(
        (await run(`.annotate false .headers false .columns name,pid vm info`))
          .split('\n')
          .map((l) => l.split('|').map((c) => c.trim()))
          .find(([n]) => n === name)?.[1],
      );
    const a = await pidOf(d.run, 'a');
    const b = await pidOf(d.run, 'b');
    expect(JSON.parse(stale).pid).not.toBe(a);

    d.proc.kill('SIGKILL');
    await d.proc;
    // the writes the crash lost: a's record one change behind, b's never made
    await writeFile(recordA, stale);
    await rm(join(d.base, '1', 'vm.json'));
    // and b's QEMU known by its command line alone (as one killed before its pidfile)
    await rm(join(d.base, '1', 'qemu.pid'));
    expect(procInfo(a), 'a survives the crash').toBeDefined();
    expect(procInfo(b), 'b survives the crash').toBeDefined();

    const r = await restartInNetns(d, ['-recover']);
    try {
      const rows = await r.run('.annotate false .headers false .columns name,state,pid vm info');
      expect(rows.replace(/ +/g, ' ').trim()).toBe(`a | RUNNING | ${a}`);
      expect(procInfo(b), 'the QEMU nobody can name is killed').toBeUndefined();
      // the adopted QEMU answers QMP
      expect(await r.run('vm qmp a \'{"execute":"query-status"}\'')).toContain('"running":true');

      r.proc.kill('SIGTERM');
      expect((await r.proc).exitCode).toBe(0);
      expect(procInfo(a), 'the adopted QEMU goes with its daemon').toBeUndefined();
      expect(listProcs().filter((p) => usesBase(p, d.base) && p.pid !== process.pid)).toEqual([]);
    } finally {
      await r.c.close().catch(() => undefined);
      r.proc.kill('SIGKILL');
    }
  },
  240_000,
);
