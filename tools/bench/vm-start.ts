// `vm start all` of N paused VMs (default 50) on real QEMU (TCG), timed over
// the control socket. Prints figures; asserts nothing. Needs a build and QEMU.
//   node --conditions=source --import tsx tools/bench/vm-start.ts [--vms 50] [--runs 3]
// Go original on the machine: 219 ms for 50 (this project before: 678 ms).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MinimegaClient } from '@mm/minimega/client';

const root = fileURLToPath(new URL('../..', import.meta.url));
const mainJs = join(root, 'apps/minimega/dist/main.js');
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const VMS = arg('vms', 50);
const RUNS = arg('runs', 3);

async function run(c: MinimegaClient, line: string): Promise<void> {
  const replies = await c.runAll(line);
  const errors = replies
    .flatMap((r) => r.Resp ?? [])
    .map((r) => r.Error)
    .filter(Boolean);
  if (errors.length > 0) throw new Error(`${line}: ${errors.join('; ')}`);
}

/** CPU time (user+sys, ms) of a process so far (/proc/<pid>/stat, USER_HZ 100) */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}

async function main(): Promise<void> {
  if (!existsSync(mainJs)) {
    console.error(`no ${mainJs}: run bash scripts/build.sh first`);
    process.exit(2);
  }
  const base = await mkdtemp(join(tmpdir(), `mm-bench-vm-${process.pid}-`));
  const daemon = spawn(
    process.execPath,
    [mainJs, '-base', base, '-nostdin', '-level', 'fatal', '-accel', 'tcg', '-port', '0'],
    { stdio: 'ignore' },
  );
  const c = await MinimegaClient.dial(join(base, 'minimega'), { waitMs: 30_000 });
  try {
    await run(c, 'vm config memory 64');
    await run(c, 'vm config snapshot false');
    console.log(
      `load average: ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
    const times: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      await run(c, `vm launch kvm ${VMS}`);
      const t0 = process.hrtime.bigint();
      const c0 = cpuMsOf(daemon.pid!);
      await run(c, 'vm start all');
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      cpu.push(cpuMsOf(daemon.pid!) - c0);
      await run(c, 'vm kill all');
      await run(c, 'vm flush');
    }
    times.sort((a, b) => a - b);
    console.log(
      `vm start all of ${VMS} paused VMs: median ${times[Math.floor(times.length / 2)]!.toFixed(0)} ms, min ${times[0]!.toFixed(0)} ms (n=${RUNS}; Go original: 219 ms for 50); daemon CPU per run ${cpu.map((x) => x.toFixed(0)).join(', ')} ms`,
    );
  } finally {
    await c.runAll('quit').catch(() => undefined);
    await c.close();
    await new Promise((r) => daemon.once('exit', r));
    await rm(base, { recursive: true, force: true });
  }
}

await main();
