// Containers through a daemon crash, for real: a daemon in its own network
// namespace runs busybox containers on an OVS VLAN; it is killed with
// SIGKILL. The containers keep running (their console pty is fed by fifos in
// the instance dir, not pipes to the dead daemon); a `-recover` daemon takes
// them over: same ids, names, UUIDs, state, pid, veths; freezer, console and
// network work; a never-started one still starts. After a second crash
// `-nuke` leaves no process, cgroup, veth or mount of that base.
import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { describe, expect } from 'vitest';
import { containerFs, containersMissing, ovsQemuMissing, realComponent } from '#test-support';
import { listProcs, procInfo, usesBase } from '../../src/recovery/procs.js';
import { daemonInNetns, reachFromPid, restartInNetns } from '../net/daemon-netns.js';

const real = realComponent('containers+ovs', () => containersMissing() ?? ovsQemuMissing());
const mainTs = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

type Run = (line: string) => Promise<string>;

/** `vm info` rows by name */
async function info(run: Run, cols: string): Promise<Record<string, Record<string, string>>> {
  const text = await run(`.annotate false .headers false .columns name,${cols} vm info`);
  const names = ['name', ...cols.split(',')];
  const out: Record<string, Record<string, string>> = {};
  for (const l of text.split('\n').filter(Boolean)) {
    const row = Object.fromEntries(l.split('|').map((c, i) => [names[i]!, c.trim()]));
    out[row.name!] = row;
  }
  return out;
}

/**
 * Connects to a container's console socket, sends `input` (the pty echoes
 * it) and writes `fromInside` to the container's /dev/console; resolves with
 * what the console printed once both came back (or after 15 s).
 */
async function consoleRoundTrip(
  socket: string,
  pid: string,
  input: string,
  fromInside: string,
): Promise<string> {
  const s = connect(socket);
  let got = '';
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('connect', resolve);
      s.once('error', reject);
    });
    const done = new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 15_000);
      s.on('data', (b: Buffer) => {
        got += b.toString('latin1');
        if (got.includes(input) && got.includes(fromInside)) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    s.write(`${input}\n`);
    await writeFile(`/proc/${pid}/root/dev/console`, `${fromInside}\n`);
    await done;
    return got;
  } finally {
    s.destroy();
  }
}

/** container cgroup dirs of this base's daemons (v1 freezer, or v2), by daemon pid prefix */
function cgroupsOf(daemonPids: number[]): string[] {
  const parents = ['/sys/fs/cgroup/freezer/minimega', '/sys/fs/cgroup/minimega'];
  return parents
    .filter((p) => existsSync(p))
    .flatMap((p) => readdirSync(p).map((n) => join(p, n)))
    .filter((p) => daemonPids.some((pid) => p.split('/').pop()!.startsWith(`${pid}-`)));
}

describe('containers after a daemon crash', () => {
  real.test(
    'kill -9, -recover: containers are re-adopted RUNNING with their console, freezer and veths; a second crash then -nuke leaves nothing',
    async () => {
      const fs = await containerFs();
      await using d = await daemonInNetns('mmrk');
      await d.run(`vm config filesystem ${fs.dir}`);
      await d.run('vm config memory 64');
      await d.run('vm config net LAN');
      await d.run('vm config init /init mm.ip=10.84.0.1/24');
      await d.run('vm launch container a');
      await d.run('vm config init /init mm.ip=10.84.0.2/24');
      await d.run('vm launch container b');
      await d.run('vm config init /init mm.ip=10.84.0.3/24');
      await d.run('vm launch container c');
      await d.run('vm start a,b');
      const cols = 'id,uuid,state,pid,tap,vlan,type';
      const before = await info((l) => d.run(l), cols);
      expect(Object.values(before).map((r) => `${r.name}:${r.state}:${r.type}`)).toEqual([
        'a:RUNNING:container',
        'b:RUNNING:container',
        'c:BUILDING:container',
      ]);
      const pid = (n: string) => before[n]!.pid!;
      expect(await reachFromPid(pid('a'), '10.84.0.2', 20)).toBe(true);
      const consoleA = join(d.base, before.a!.id!, 'console');
      expect(await consoleRoundTrip(consoleA, pid('a'), 'typed-before', 'said-before')).toMatch(
        /typed-before[\s\S]*said-before|said-before[\s\S]*typed-before/,
      );
      const firstDaemon = d.proc.pid as number;
      expect(cgroupsOf([firstDaemon])).toHaveLength(3);

      const nukeArgv = [
        ...['netns', 'exec', d.netns, 'node', '--conditions=source', '--import', 'tsx'],
        ...[mainTs, '-base', d.base, '-nuke'],
      ];
      // whatever fails, no container of this test outlives it
      let nuked = false;
      d.proc.kill('SIGKILL');
      await d.proc;
      const r = await (async () => {
        for (const n of ['a', 'b', 'c'])
          expect(procInfo(Number(pid(n))), `container ${n} survives the crash`).toBeDefined();
        // the network stays up while no daemon runs
        expect(await reachFromPid(pid('b'), '10.84.0.1', 10)).toBe(true);
        return restartInNetns(d, ['-recover']);
      })().catch(async (e: unknown) => {
        await execa('ip', nukeArgv, { reject: false, cwd: join(mainTs, '../..') });
        throw e;
      });
      let second: ResultPromise | undefined = r.proc;
      try {
        const after = await info(r.run, cols);
        // the reasons when a container was not re-adopted
        if (JSON.stringify(after) !== JSON.stringify(before))
          expect(await r.run('.columns name,state,tags vm info')).toBe('');
        expect(after).toEqual(before);
        // usable: freezer, console (input echoed by the pty, output from inside), network
        await r.run('vm stop a');
        expect((await info(r.run, 'state')).a!.state).toBe('PAUSED');
        const frozen = cgroupsOf([firstDaemon]).filter((p) => p.includes('/freezer/'));
        const states = await Promise.all(
          frozen.map((p) => readFile(join(p, 'freezer.state'), 'utf8')),
        );
        expect(states.map((s) => s.trim()).sort()).toEqual(['FROZEN', 'FROZEN', 'THAWED']);
        await r.run('vm start a');
        expect((await info(r.run, 'state')).a!.state).toBe('RUNNING');
        expect(await consoleRoundTrip(consoleA, pid('a'), 'typed-after', 'said-after')).toMatch(
          /typed-after[\s\S]*said-after|said-after[\s\S]*typed-after/,
        );
        expect(await reachFromPid(pid('a'), '10.84.0.2', 20)).toBe(true);
        // the never-started one starts (its shim still waits for `go`)
        await r.run('vm start c');
        expect((await info(r.run, 'state')).c!.state).toBe('RUNNING');
        expect(await reachFromPid(pid('c'), '10.84.0.1', 20)).toBe(true);

        // a second crash, then -nuke: nothing of the base is left
        const links = async () => String((await d.inNs('ip', '-o', 'link', 'show')).stdout);
        expect(await links()).toMatch(/mega_tap/);
        r.proc.kill('SIGKILL');
        await r.proc;
        second = undefined;
        const nuke = await execa('ip', nukeArgv, { reject: false, cwd: join(mainTs, '../..') });
        nuked = true;
        expect(nuke.stderr).toBe('');
        expect(nuke.exitCode).toBe(0);
        for (const n of ['a', 'b', 'c'])
          expect(procInfo(Number(pid(n))), `container ${n} killed`).toBeUndefined();
        expect(listProcs().filter((p) => usesBase(p, d.base) && p.pid !== process.pid)).toEqual([]);
        expect(cgroupsOf([firstDaemon, r.proc.pid as number])).toEqual([]);
        expect(await links()).not.toMatch(/mega_/);
        expect(await readFile('/proc/mounts', 'utf8')).not.toContain(`${d.base}/`);
        expect(nuke.stdout).toMatch(/^cgroup +\S+\/minimega\/\d+-0\b/m);
      } finally {
        await r.c.close().catch(() => undefined);
        second?.kill('SIGKILL');
        await second;
        if (!nuked) await execa('ip', nukeArgv, { reject: false, cwd: join(mainTs, '../..') });
      }
    },
    300_000,
  );
});
