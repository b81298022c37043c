// Benchmarks of the minimega daemon core (issue 2). Prints figures; asserts
// nothing. Needs a build (bash scripts/build.sh). Run:
//   node --conditions=source --import tsx tools/bench/minimega.ts [--runs 50]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MinimegaClient } from '@mm/minimega/client';

const root = fileURLToPath(new URL('../..', import.meta.url));
const mainJs = join(root, 'apps/minimega/dist/main.js');
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const RUNS = arg('runs', 50);
const ONE_CONN = arg('commands', 5000);
const SECONDS = arg('seconds', 3);

function stats(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  const f = (x: number) => (x < 1 ? x.toFixed(3) : x.toFixed(1));
  return `median ${f(q(0.5))} ms, p90 ${f(q(0.9))} ms, min ${f(s[0]!)} ms (n=${s.length})`;
}

function timeProcess(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
  return ms;
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
    (await MinimegaClient.dial(socket, { waitMs: 30_000 })).close();
    console.log(`node ${process.version}, ${(await import('node:os')).cpus().length} cpus`);

    const baseline = Array.from({ length: Math.min(RUNS, 20) }, () => timeProcess(['-e', '']));
    console.log(`node -e '' (process start, for reference): ${stats(baseline)}`);
    const oneShot = Array.from({ length: RUNS }, () =>
      timeProcess([mainJs, '-base', base, '-e', 'echo', 'hi']),
    );
    console.log(`minimega -e echo hi (new process, target <= 50 ms): ${stats(oneShot)}`);
    const version = Array.from({ length: RUNS }, () =>
      timeProcess([mainJs, '-base', base, '-e', 'version']),
    );
    console.log(`minimega -e version (new process; Go original: 23 ms): ${stats(version)}`);

    // idle RSS: the daemon after start, nothing asked of it but this (Go: 24 MB; target <= 50 MB)
    await new Promise((r) => setTimeout(r, 2000));
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${daemon.pid}/status`, 'utf8'))?.[1];
    console.log(
      `daemon idle RSS (Go original: 24 MB; target <= 50 MB): ${(Number(rss) / 1024).toFixed(1)} MB`,
    );
    const noop = stats(baseline).match(/median ([\d.]+)/)?.[1];
    const eMedian = stats(oneShot).match(/median ([\d.]+)/)?.[1];
    console.log(
      `minimega -e over node -e '': +${(Number(eMedian) - Number(noop)).toFixed(1)} ms (target <= 5 ms; Go original: 17 ms total)`,
    );

    const c = await MinimegaClient.dial(socket);
    for (let i = 0; i < 500; i++) await c.runAll('echo hi');
    const lat: number[] = [];
    for (let i = 0; i < ONE_CONN; i++) {
      const t0 = process.hrtime.bigint();
      await c.runAll('echo hi');
      lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    console.log(
      `echo hi over one open connection (Go original with its own client: 0.09-0.11 ms): ${stats(lat)}`,
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
