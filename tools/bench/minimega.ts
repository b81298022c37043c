// Benchmarks of the minimega daemon core (issue 2). Prints figures; asserts
// nothing. Needs a build (bash scripts/build.sh). Run:
//   node --conditions=source --import tsx tools/bench/minimega.ts [--runs 50] [--callgrind 3]
// --callgrind N: also counts the instructions of each `-e` and of `node -e ''`
// (valgrind's callgrind, median of N runs; `perf stat -e instructions` has no
// counters on this VM), with NODE_EXTRA_CA_CERTS unset on both sides: set,
// every node start parses that bundle of certificates, most of its instructions.
// V8's hash seed set-up (detail::sprp, a search for random primes) is left
// out: it costs 1-16 M instructions at random in every node start, more than
// the differences measured.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MinimegaClient } from '@mm/minimega/client';

const root = fileURLToPath(new URL('../..', import.meta.url));
const mainJs = join(root, 'apps/minimega/dist/main.js');
/** the `minimega` command (package.json bin): the same client as CommonJS */
const mainCjs = join(root, 'apps/minimega/dist/main.cjs');
/** the single executable, when built */
const sea = join(root, 'dist/minimega');
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const RUNS = arg('runs', 50);
const ONE_CONN = arg('commands', 5000);
const SECONDS = arg('seconds', 3);
const CALLGRIND = arg('callgrind', 0);

/** A difference with its sign: +1.5, -0.3 */
const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;

function stats(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  const f = (x: number) => (x < 1 ? x.toFixed(3) : x.toFixed(1));
  return `median ${f(q(0.5))} ms, p90 ${f(q(0.9))} ms, min ${f(s[0]!)} ms (n=${s.length})`;
}

/** CPU time (user+sys, ms) of this process's waited-for children so far (/proc/self/stat cutime+cstime) */
function childCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[13]) + Number(f[14])) * 1000) / 100; // fields 16, 17 in USER_HZ (100)
}

/** CPU time (user+sys, ms) of a process so far */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // fields 14, 15
}

/** VmRSS of a process, MB, with its anonymous and file-backed parts */
function rssOf(pid: number): string {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(status)?.[1]) / 1024;
  return `${mb('VmRSS').toFixed(1)} MB (anonymous ${mb('RssAnon').toFixed(1)}, file ${mb('RssFile').toFixed(1)})`;
}

/** Instructions (millions) of one run under callgrind, median of `n`, without V8's random prime search; undefined without valgrind. */
function instructions(n: number, bin: string, args: string[]): number | undefined {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const out = join(tmpdir(), `mm-bench-callgrind-${process.pid}`);
  const counts: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const r = spawnSync(
        'valgrind',
        ['--tool=callgrind', `--callgrind-out-file=${out}`, bin, ...args],
        {
          env,
          encoding: 'utf8',
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      const m = /Collected : (\d+)/.exec(r.stderr ?? '');
      if (!m) return undefined;
      const annotated = spawnSync('callgrind_annotate', [out], { encoding: 'utf8' }).stdout ?? '';
      const prime = /^\s*([\d,]+) .*detail::sprp/m.exec(annotated)?.[1]?.replaceAll(',', '') ?? '0';
      counts.push((Number(m[1]) - Number(prime)) / 1e6);
    }
  } finally {
    rmSync(out, { force: true });
  }
  return counts.sort((a, b) => a - b)[Math.floor(n / 2)];
}

interface Timed {
  label: string;
  bin: string;
  args: string[];
  wall: number[];
  /** CPU ms summed over the runs */
  cpuSum: number;
}

/**
 * Runs every command `n` times, interleaved (one of each per round), so a
 * machine whose load drifts affects them alike; wall ms per run and the mean
 * CPU ms (user+sys, which load barely changes) per command.
 */
function timeInterleaved(n: number, cmds: Omit<Timed, 'wall' | 'cpuSum'>[]): Timed[] {
  const out: Timed[] = cmds.map((c) => ({ ...c, wall: [], cpuSum: 0 }));
  for (let i = 0; i < n; i++) {
    for (const c of out) {
      const c0 = childCpuMs();
      const t0 = process.hrtime.bigint();
      const r = spawnSync(c.bin, c.args, { stdio: ['ignore', 'ignore', 'inherit'] });
      c.wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
      c.cpuSum += childCpuMs() - c0;
      if (r.status !== 0) throw new Error(`${c.bin} ${c.args.join(' ')} exited ${r.status}`);
    }
  }
  return out;
}

async function main(): Promise<void> {
  if (!existsSync(mainJs)) {
    console.error(`no ${mainJs}: run bash scripts/build.sh first`);
    process.exit(2);
  }
  const base = await mkdtemp(join(tmpdir(), `mm-bench-${process.pid}-`));
  const daemon = spawn(process.execPath, [mainJs, '-base', base, '-nostdin', '-level', 'fatal'], {
    stdio: 'ignore',
  });
  try {
    const socket = join(base, 'minimega');
    // idle RSS of a freshly started daemon, nothing asked of it (not even a
    // connection): the figure comparable to the Go original's 24 MB. Taken 2 s
    // after its socket appears, before anything else here runs.
    const startBy = Date.now() + 30_000;
    while (!existsSync(socket)) {
      if (Date.now() > startBy) throw new Error(`no ${socket} after 30 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 2000));
    const freshRss = rssOf(daemon.pid!);
    (await MinimegaClient.dial(socket, { waitMs: 30_000 })).close();
    console.log(`node ${process.version}, ${(await import('node:os')).cpus().length} cpus`);

    console.log(
      `load average: ${(await import('node:os'))
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    const entries: [string, string, string[]][] = [
      ['node dist/main.cjs (the minimega command)', process.execPath, [mainCjs]],
      ['node dist/main.js', process.execPath, [mainJs]],
    ];
    if (existsSync(sea)) entries.push(['dist/minimega (single executable)', sea, []]);
    else
      console.log('dist/minimega: not built (bash scripts/build.sh without MM_SKIP_SEA), skipped');
    const cmds = [{ label: "node -e ''", bin: process.execPath, args: ['-e', ''] }];
    for (const [label, bin, pre] of entries) {
      if (pre[0] && !existsSync(pre[0])) {
        console.log(`${label}: not built, skipped`);
        continue;
      }
      for (const cmd of [['echo', 'hi'], ['version']])
        cmds.push({
          label: `${label} -e ${cmd.join(' ')}`,
          bin,
          args: [...pre, '-base', base, '-e', ...cmd],
        });
    }
    const [bare, ...timed] = timeInterleaved(RUNS, cmds);
    const bareCpu = bare!.cpuSum / RUNS;
    console.log(
      `node -e '' (process start, for reference): ${stats(bare!.wall)}; CPU ${bareCpu.toFixed(1)} ms`,
    );
    for (const t of timed) {
      const cpu = t.cpuSum / RUNS;
      console.log(
        `${t.label}: ${stats(t.wall)}; CPU ${cpu.toFixed(1)} ms; over node -e '': ` +
          `${signed(median(t.wall) - median(bare!.wall))} ms wall, ${signed(cpu - bareCpu)} ms CPU ` +
          `(target <= 5 ms; Go original: 17 ms total)`,
      );
    }
    if (CALLGRIND > 0) {
      const bareIns = instructions(CALLGRIND, bare!.bin, bare!.args);
      if (bareIns === undefined) console.log('instructions: no valgrind here, skipped');
      else {
        console.log(
          `instructions (callgrind, median of ${CALLGRIND}, NODE_EXTRA_CA_CERTS unset, V8's hash-seed prime search left out): node -e '' ${bareIns.toFixed(1)} M`,
        );
        for (const t of timed.filter((x) => x.label.endsWith('echo hi'))) {
          const ins = instructions(CALLGRIND, t.bin, t.args)!;
          console.log(`  ${t.label}: ${ins.toFixed(1)} M (${signed(ins - bareIns)} M)`);
        }
      }
    }

    // idle RSS: printed twice, never one without the other
    console.log(
      `daemon idle RSS, freshly started, nothing asked of it (Go original: 24 MB; target <= 50 MB): ${freshRss}`,
    );
    await new Promise((r) => setTimeout(r, 2000));
    console.log(
      `daemon idle RSS, the same daemon 2 s after serving the -e runs above (${(cmds.length - 1) * RUNS} -e sessions): ${rssOf(daemon.pid!)}`,
    );

    const c = await MinimegaClient.dial(socket);
    for (let i = 0; i < 500; i++) await c.runAll('echo hi');
    const lat: number[] = [];
    const dc0 = cpuMsOf(daemon.pid!);
    const cc0 = process.cpuUsage();
    for (let i = 0; i < ONE_CONN; i++) {
      const t0 = process.hrtime.bigint();
      await c.runAll('echo hi');
      lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const cc = process.cpuUsage(cc0);
    console.log(
      `echo hi over one open connection (Go original with its own client: 0.09-0.11 ms): ${stats(lat)}; ` +
        `CPU per round trip: daemon ${((cpuMsOf(daemon.pid!) - dc0) / ONE_CONN).toFixed(3)} ms, ` +
        `client ${((cc.user + cc.system) / 1000 / ONE_CONN).toFixed(3)} ms`,
    );
    await c.close();

    const conns = await Promise.all(Array.from({ length: 8 }, () => MinimegaClient.dial(socket)));
    let done = 0;
    const until = Date.now() + SECONDS * 1000;
    const t0 = process.hrtime.bigint();
    await Promise.all(
      conns.map(async (cc) => {
        while (Date.now() < until) {
          await cc.runAll('echo hi');
          done++;
        }
      }),
    );
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(
      `echo hi with 8 connections: ${Math.round(done / secs)} commands/s (${done} in ${secs.toFixed(1)} s)`,
    );
    for (const cc of conns) await cc.close();
  } finally {
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
    await rm(base, { recursive: true, force: true });
  }
}

await main();
