// A daemon crash for real: a daemon in its own network namespace runs TCG
// guests with NICs on its embedded Open vSwitch and a host tap; it is
// killed with SIGKILL (no teardown). Its guests keep running; `minimega
// -nuke` then leaves no process, tap, bridge or mount of that base.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect } from 'vitest';
import { guestImage } from '#test-support';
import { listProcs, procInfo, usesBase } from '../../src/recovery/procs.js';
import { daemonInNetns, restartInNetns } from '../net/daemon-netns.js';
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

/** `vm info` rows as objects */
async function info(
  run: (l: string) => Promise<string>,
  cols: string,
): Promise<Record<string, string>[]> {
  const text = await run(`.annotate false .headers false .columns ${cols} vm info`);
  const names = cols.split(',');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => Object.fromEntries(l.split('|').map((c, i) => [names[i]!, c.trim()])));
}

/** the first bytes a TCP port inside the namespace sends (the VNC shim listens there) */
async function rfbBanner(netns: string, port: number): Promise<string> {
  const script = `const s=require('net').connect(${port},'127.0.0.1');s.once('data',b=>{process.stdout.write(b.toString('latin1').slice(0,4));s.destroy()});s.once('error',e=>{console.error(e.message);process.exit(1)});setTimeout(()=>process.exit(1),10000).unref()`;
  const r = await execa('ip', ['netns', 'exec', netns, process.execPath, '-e', script], {
    reject: false,
  });
  return String(r.stdout) || String(r.stderr);
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
  realOvsQemu.test(
    '-recover re-adopts running guests exactly (ids, UUIDs, state, pid, taps, VLAN alias, host tap, QMP, VNC); dead ones show ERROR; ids never collide',
    async () => {
      const img = await guestImage();
      await using d = await daemonInNetns('mmrr');
      await d.run('vm config memory 128');
      await d.run(`vm config kernel ${img.kernel}`);
      await d.run(`vm config initrd ${img.initrd}`);
      await d.run('vm config net LAN');
      await d.run('vm launch kvm a,b,c');
      await d.run('vm start a');
      await d.run('vm kill c');
      await d.run('tap create LAN name mm_host0');
      const cols = 'id,name,uuid,state,pid,tap,vlan,bridge,mac';
      const before = await info((l) => d.run(l), cols);
      expect(before.map((r) => [r.name, r.state])).toEqual([
        ['a', 'RUNNING'],
        ['b', 'BUILDING'],
        ['c', 'QUIT'],
      ]);
      const vlansBefore = await d.run('vlans');

      d.proc.kill('SIGKILL');
      await d.proc;
      // records are written just after each answer: a crash in between
      // leaves a's one change behind (BUILDING), and QEMU's own word
      // (query-status: running) wins on re-adoption
      const recordA = join(d.base, String(before[0]!.id), 'vm.json');
      const stale = { ...JSON.parse(await readFile(recordA, 'utf8')), state: 'BUILDING' };
      await writeFile(recordA, JSON.stringify(stale));
      // b's QEMU dies while no daemon watches
      process.kill(Number(before[1]!.pid), 'SIGKILL');

      const r = await restartInNetns(d, ['-recover']);
      try {
        const after = await info(r.run, cols);
        expect(after[0]).toEqual(before[0]); // a: same id, name, uuid, RUNNING, pid, tap, vlan alias
        expect(after[1]).toMatchObject({ ...before[1], state: 'ERROR', pid: '0' });
        expect(after[2]).toMatchObject({ id: before[2]!.id, name: 'c', state: 'QUIT' });
        expect(await r.run('vm tag b error')).toMatch(
          /lost while the daemon was down: qemu \(pid \d+\) is not running any more/,
        );
        expect(await r.run('vlans')).toBe(vlansBefore);
        expect(await r.run('.annotate false .headers false tap')).toMatch(
          /mega_bridge +\| mm_host0 +\| LAN/,
        );
        // QMP is reconnected: stop/start go through it
        await r.run('vm stop a');
        const stateOf = async (name: string) =>
          (await info(r.run, 'name,state')).find((x) => x.name === name)?.state;
        expect(await stateOf('a')).toBe('PAUSED');
        await r.run('vm start a');
        expect(await r.run('vm qmp a \'{"execute":"query-status"}\'')).toContain('"running":true');
        // a new VNC shim on the adopted QEMU
        expect(await stateOf('a')).toBe('RUNNING');
        const vnc = Number(
          (await info(r.run, 'name,vnc_port')).find((x) => x.name === 'a')!.vnc_port,
        );
        expect(await rfbBanner(d.netns, vnc)).toBe('RFB ');
        // ids of new VMs never collide with recovered ones
        await r.run('vm launch kvm d');
        expect((await info(r.run, 'id,name')).map((x) => `${x.id}:${x.name}`)).toEqual([
          '0:a',
          '1:b',
          '2:c',
          '3:d',
        ]);
        // the recovered daemon tears everything down on quit
        await r.c.runAll('quit').catch(() => undefined);
        expect((await r.proc).exitCode).toBe(0);
        expect(procInfo(Number(before[0]!.pid))).toBeUndefined();
        expect(listProcs().filter((p) => usesBase(p, d.base) && p.pid !== process.pid)).toEqual([]);
      } finally {
        await r.c.close().catch(() => undefined);
        r.proc.kill('SIGKILL');
      }
    },
    300_000,
  );
});
