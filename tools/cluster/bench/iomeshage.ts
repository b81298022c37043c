// iomeshage with real daemons in network namespaces (needs root): one host
// holds a random file, `mesh send all file get` pulls it everywhere. Prints,
// per case: wall time until every receiver has the verified file, MiB/s per
// receiver and aggregate, daemon CPU per MiB received, and the share of parts
// served by nodes other than the origin (the swarm effect).
// Go minimega 2.9, same machine shape (4-host / 10-host mesh in namespaces):
//   256 MiB to 3 receivers: 3.6 s; 512 MiB to 9 receivers: 12.2 s (379 MiB/s aggregate);
//   one TCP stream over the same veths: 808 MiB/s. Target: half of Go's times.
// Run: pnpm exec tsx tools/cluster/bench/iomeshage.ts [--cases 256x3,512x9] [--perf DIR]
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { type ClusterHost, startCluster } from '../src/index.js';

const MiB = 1024 * 1024;
const GO: Record<string, number> = { '256x3': 3.6, '512x9': 12.2 };

/** a daemon's CPU seconds (user + system) and minor page faults so far */
function usage(pid: number | undefined): Promise<{ cpu: number; faults: number }> {
  if (!pid) return Promise.resolve({ cpu: 0, faults: 0 });
  return readFile(`/proc/${pid}/stat`, 'utf8').then(
    (s) => {
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      // utime + stime in clock ticks; minflt
      return { cpu: (Number(f[11]) + Number(f[12])) / 100, faults: Number(f[7]) };
    },
    () => ({ cpu: 0, faults: 0 }),
  );
}

const perfArg = process.argv.indexOf('--perf');
const perfDir = perfArg > 0 ? process.argv[perfArg + 1] : undefined;
/** `--syscalls`: count the daemons' system calls during the transfer (perf stat) */
const countSyscalls = process.argv.includes('--syscalls');
const SYSCALLS = ['read', 'writev', 'pwritev', 'pread64', 'epoll_pwait', 'futex'];

/** perf stat of every daemon's reads, writes, waits and wake-ups during the transfer */
function perfStat(hosts: readonly ClusterHost[]): ChildProcess | undefined {
  if (!countSyscalls) return undefined;
  const pids = hosts.map((h) => h.pid).filter((p) => p !== undefined);
  const events = SYSCALLS.flatMap((s) => ['-e', `syscalls:sys_enter_${s}`]);
  return spawn('perf', ['stat', '-x', ',', ...events, '-p', pids.join(',')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/** `--perf DIR`: perf record (call graphs) of every daemon during the transfer, DIR/<case>.data */
function perfRecord(hosts: readonly ClusterHost[], label: string): ChildProcess | undefined {
  if (!perfDir) return undefined;
  const pids = hosts.map((h) => h.pid).filter((p) => p !== undefined);
  return spawn(
    'perf',
    [
      'record',
      // PERF_EVENT=<tracepoint>: where the daemons make that call, not CPU samples
      ...(process.env.PERF_EVENT ? ['-e', process.env.PERF_EVENT] : ['-F', '999']),
      '-g',
      '-o',
      join(perfDir, `${label}.data`),
      '-p',
      pids.join(','),
    ],
    { stdio: 'ignore' },
  );
}

async function writeRandom(path: string, bytes: number): Promise<void> {
  const h = await open(path, 'w');
  try {
    for (let off = 0; off < bytes; off += 16 * MiB) {
      await h.write(randomBytes(Math.min(16 * MiB, bytes - off)));
    }
  } finally {
    await h.close();
  }
}

async function runCase(mib: number, receivers: number): Promise<void> {
  const label = `${mib}x${receivers}`;
  await using c = await startCluster({
    hosts: receivers + 1,
    // ten daemons starting at once on a loaded 2-core machine take a while
    startTimeoutMs: 180_000,
    // -hashfiles on the origin: `file list` computes (and caches) the content hash
    flags: ({ index }) => [
      '-degree',
      '3',
      '-level',
      'info',
      ...(index === 1 ? ['-hashfiles'] : []),
    ],
  });
  const hosts = c.hosts;
  for (;;) {
    const sizes = await Promise.all(
      hosts.map(async (h) => Number((await h.run('mesh status'))[0]?.Tabular?.[0]?.[0] ?? 0)),
    );
    if (sizes.every((s) => s === hosts.length)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const [origin, ...rest] = hosts as [ClusterHost, ...ClusterHost[]];
  const size = mib * MiB;
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(origin.base, 'files'), { recursive: true });
  await writeRandom(join(origin.base, 'files', 'bench.img'), size);
  // the origin hashes the file once (cached by size+mtime): not part of the transfer figure
  const t0hash = performance.now();
  await origin.run('file list /');
  const hashMs = performance.now() - t0hash;
  const perf = perfRecord(hosts, label);
  const stat_ = perfStat(hosts);
  let statOut = '';
  stat_?.stderr?.on('data', (d: Buffer) => {
    statOut += d.toString();
  });
  if (perf || stat_) await new Promise((r) => setTimeout(r, 500));
  const use0 = await Promise.all(hosts.map((h) => usage(h.pid)));
  const t0 = performance.now();
  const rows = await origin.run('mesh send all file get bench.img');
  const errs = rows.filter((r) => r.Error);
  if (errs.length)
    throw new Error(`file get: ${errs.map((r) => `${r.Host}: ${r.Error}`).join('; ')}`);
  const doneAt = new Map<string, number>();
  while (doneAt.size < rest.length) {
    for (const h of rest) {
      if (doneAt.has(h.name)) continue;
      const s = await stat(join(h.base, 'files', 'bench.img')).catch(() => undefined);
      if (s?.size === size) doneAt.set(h.name, (performance.now() - t0) / 1000);
    }
    if (performance.now() - t0 > 600_000) throw new Error('transfer did not finish in 10 min');
    await new Promise((r) => setTimeout(r, 20));
  }
  const wall = Math.max(...doneAt.values());
  const use1 = await Promise.all(hosts.map((h) => usage(h.pid)));
  for (const p of [perf, stat_]) {
    if (!p) continue;
    p.kill('SIGINT');
    await new Promise((r) => p.once('exit', r));
  }
  const cpu = use1.reduce((n, x, i) => n + x.cpu - (use0[i]?.cpu ?? 0), 0);
  const faults = use1.reduce((n, x, i) => n + x.faults - (use0[i]?.faults ?? 0), 0);
  // parts per serving node, from each receiver's "got bench.img ... parts from a=1,b=2" log line
  let fromOrigin = 0;
  let total = 0;
  for (const h of rest) {
    const log = await readFile(h.logFile, 'utf8').catch(() => '');
    const m = /got bench\.img: .* parts from (\S+)/.exec(log);
    for (const kv of (m?.[1] ?? '').split(',')) {
      const [host, n] = kv.split('=');
      if (!host || !n) continue;
      total += Number(n);
      if (host === origin.name) fromOrigin += Number(n);
    }
  }
  console.log(`\n${mib} MiB to ${receivers} receivers (${hosts.length}-host mesh, degree 3)`);
  console.log(
    `  load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} (2 cores shared: wall figures under load; CPU per MiB barely changes)`,
  );
  console.log(`  (hashing at the origin, once: ${(hashMs / 1000).toFixed(2)} s; not counted)`);
  for (const h of rest) {
    const t = doneAt.get(h.name) ?? Number.NaN;
    console.log(`  ${h.name.padEnd(4)} ${t.toFixed(2)} s  ${(mib / t).toFixed(0)} MiB/s`);
  }
  console.log(
    `  all done in ${wall.toFixed(2)} s; aggregate ${((mib * receivers) / wall).toFixed(0)} MiB/s`,
  );
  console.log(`  Go 2.9: ${GO[label] ?? '?'} s (target ≤ ${((GO[label] ?? 0) / 2).toFixed(1)} s)`);
  console.log(
    `  CPU (all daemons): ${cpu.toFixed(2)} s, ${((cpu * 1000) / (mib * receivers)).toFixed(1)} ms per MiB received`,
  );
  // first touches of memory are costly on these VMs: a steady transfer reuses its buffers
  console.log(
    `  minor page faults (all daemons): ${(faults / (mib * receivers)).toFixed(0)} per MiB received`,
  );
  if (stat_) {
    const per = statOut
      .split('\n')
      .map((l) => l.split(','))
      .filter((f) => f[2]?.startsWith('syscalls:sys_enter_'))
      .map((f) => `${f[2]?.slice(19)} ${(Number(f[0]) / (mib * receivers)).toFixed(1)}`);
    console.log(`  system calls per MiB received (all daemons): ${per.join(', ')}`);
  }
  console.log(
    `  parts from non-origin nodes: ${total ? ((100 * (total - fromOrigin)) / total).toFixed(0) : '?'}% (${total - fromOrigin} of ${total})`,
  );
}

const arg = process.argv.indexOf('--cases');
const cases = (arg > 0 ? (process.argv[arg + 1] ?? '') : '256x3,512x9').split(',');
for (const k of cases) {
  const [m, r] = k.split('x').map(Number);
  if (!m || !r) throw new Error(`bad case ${k} (want <MiB>x<receivers>)`);
  await runCase(m, r);
}
