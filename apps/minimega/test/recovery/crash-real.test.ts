// A daemon crash for real: a daemon in its own network namespace runs TCG
// guests with NICs on its embedded Open vSwitch and a host tap; it is
// killed with SIGKILL (no teardown). Its guests keep running; `minimega
// -nuke` then leaves no process, tap, bridge or mount of that base.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect } from 'vitest';
import { guestImage } from '#test-support';
import { listProcs, procInfo, usesBase } from '../../src/recovery/procs.js';
import { daemonInNetns } from '../net/daemon-netns.js';
import { realOvsQemu } from '../net/real-support.js';

const mainTs = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/** the daemon's guests: name -> pid, from `vm info` */
async function guests(run: (l: string) => Promise<string>): Promise<Map<string, number>> {
  const text = await run('.annotate false .headers false .columns name,pid vm info');
  return new Map(
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('|').map((c) => c.trim()))
      .map(([n, p]) => [n!, Number(p)]),
  );
}

describe('after a daemon crash', () => {
  realOvsQemu.test(
    'kill -9 leaves the guests running; -nuke leaves no process, tap, bridge or mount',
    async () => {
      const img = await guestImage();
      await using d = await daemonInNetns('mmrc');
      await d.run('vm config memory 128');
      await d.run(`vm config kernel ${img.kernel}`);
      await d.run(`vm config initrd ${img.initrd}`);
      await d.run('vm config net 100');
      await d.run('vm launch kvm a,b');
      await d.run('vm start all');
      await d.run('tap create 100 name mm_host0');
      const pids = await guests((l) => d.run(l));
      expect([...pids.keys()].sort()).toEqual(['a', 'b']);
      const links = async () =>
        String((await d.inNs('ip', '-o', 'link', 'show')).stdout)
          .split('\n')
          .map((l: string) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? '');
      const before = await links();
      expect(before).toContain('mm_host0');
      const vmTaps = (await readFile(join(d.base, '0', 'taps'), 'utf8'))
        .split('\n')
        .filter(Boolean);
      expect(vmTaps.length).toBe(1);
      expect(before).toContain(vmTaps[0]);

      d.proc.kill('SIGKILL');
      await d.proc;
      for (const pid of pids.values())
        expect(procInfo(pid), 'guest survives the crash').toBeDefined();

      const nuke = await execa(
        'ip',
        [
          'netns',
          'exec',
          d.netns,
          'node',
          '--conditions=source',
          '--import',
          'tsx',
          mainTs,
          '-base',
          d.base,
          '-nuke',
        ],
        { reject: false, cwd: join(mainTs, '../..') },
      );
      expect(nuke.stderr).toBe('');
      expect(nuke.exitCode).toBe(0);
      for (const pid of pids.values()) expect(procInfo(pid), 'guest killed').toBeUndefined();
      expect(listProcs().filter((p) => usesBase(p, d.base) && p.pid !== process.pid)).toEqual([]);
      const after = await links();
      for (const dev of ['mm_host0', vmTaps[0]!, 'mega_bridge']) expect(after).not.toContain(dev);
      const mounts = await readFile('/proc/mounts', 'utf8');
      expect(mounts).not.toContain(`${d.base}/`);
      expect(nuke.stdout).toMatch(/^process +\d+ +qemu-system-x86 \(vm id 0\)$/m);
      // VM taps are kernel taps; host taps are OVS internal ports, gone with its --cleanup
      expect(nuke.stdout).toMatch(new RegExp(`^tap +${vmTaps[0]} +link$`, 'm'));
      expect(nuke.stdout).toMatch(/^ovs +.*stopped ovs-vswitchd/m);
    },
    240_000,
  );
});
