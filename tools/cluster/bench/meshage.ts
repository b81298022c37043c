// meshage with real daemons in network namespaces (needs root). Prints:
//  - convergence of 10 daemons (-degree 3): spawn → every `mesh status` shows 10,
//    and, with the daemons already up, `mesh degree 3` on all → full size;
//  - `mesh send all host name` over one open control connection at 3 and 10
//    hosts (median, p99), and as a new `minimega -e` process;
//  - kill -9 of one daemon → every other node has dropped it.
// Go minimega on this machine (10 hosts, degree 3): ~20.5 s convergence,
// 2.37 ms median at 10 hosts (0.85 ms at 3), 25 ms as a new -e process.
// Run: pnpm exec tsx tools/cluster/bench/meshage.ts
import { execa } from 'execa';
import { appDir, daemonEntry } from '../src/daemon-entry.js';
import { type Cluster, type ClusterHost, startCluster } from '../src/index.js';

const ms = (t: number) => `${t.toFixed(1)} ms`;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};

async function size(h: ClusterHost): Promise<number> {
  return Number((await h.run('mesh status'))[0]?.Tabular?.[0]?.[0] ?? 0);
}

async function until(
  hosts: ClusterHost[],
  n: number,
  stepMs = 20,
  limitMs = 60_000,
): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const sizes = await Promise.all(hosts.map(size));
    if (sizes.every((s) => s === n)) return performance.now() - t0;
    if (performance.now() - t0 > limitMs) throw new Error(`sizes ${sizes} never reached ${n}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

async function sendLatency(c: Cluster, iterations: number, warmUp = 20): Promise<number[]> {
  const h = c.hosts[0] as ClusterHost;
  const want = c.hosts.length - 1;
  for (let i = 0; i < warmUp; i++) await h.run('mesh send all host name');
  const out: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    const rows = await h.run('mesh send all host name');
    out.push(performance.now() - t0);
    if (rows.length !== want || rows.some((r) => r.Error))
      throw new Error(`bad reply ${JSON.stringify(rows)}`);
  }
  return out;
}

async function newProcessLatency(c: Cluster, runs: number): Promise<number[] | string> {
  const entry = daemonEntry();
  if (entry.kind !== 'dist')
    return 'skipped (dist/main.js older than the sources: run scripts/build.sh)';
  const h = c.hosts[0] as ClusterHost;
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = await execa(
      process.execPath,
      [...entry.args, '-base', h.base, '-e', 'mesh', 'send', 'all', 'host', 'name'],
      { cwd: appDir, reject: false },
    );
    out.push(performance.now() - t0);
    if (r.exitCode !== 0) throw new Error(`minimega -e failed: ${r.stderr}`);
  }
  return out;
}

console.log(`meshage real-daemon bench (entry: ${daemonEntry().kind})`);
{
  const t0 = performance.now();
  await using c = await startCluster({ hosts: 10, flags: ['-degree', '3'] });
  const up = performance.now() - t0;
  const conv = await until(c.hosts, 10);
  console.log(
    `10 daemons, -degree 3: all sockets up after ${ms(up)}, full mesh on every node ${ms(conv)} later (${ms(up + conv)} from spawn)`,
  );
}
{
  await using c = await startCluster({ hosts: 10, flags: ['-degree', '0'] });
  await Promise.all(c.hosts.map((h) => h.run('mesh degree 3')));
  const conv = await until(c.hosts, 10);
  console.log(
    `10 running daemons, mesh degree 3 on all → full mesh everywhere: ${ms(conv)} (Go: ~20.5 s)`,
  );
  const lat = await sendLatency(c, 300);
  console.log(
    `mesh send all host name, 10 hosts, one connection: median ${ms(pct(lat, 50))} p99 ${ms(pct(lat, 99))} (Go: 2.37 ms median)`,
  );
  // the figure above runs mostly unoptimised JavaScript (V8 tiers up after
  // some hundreds of requests per daemon); a long-running daemon is warm
  const warm = await sendLatency(c, 300, 2000);
  console.log(
    `  the same after 2,000 more sends (JIT-warm daemons): median ${ms(pct(warm, 50))} p99 ${ms(pct(warm, 99))}`,
  );
  const proc = await newProcessLatency(c, 20);
  console.log(
    typeof proc === 'string'
      ? `minimega -e mesh send all host name: ${proc}`
      : `minimega -e mesh send all host name (new process): median ${ms(pct(proc, 50))} p99 ${ms(pct(proc, 99))} (Go: 25 ms)`,
  );
  const victim = c.hosts[6] as ClusterHost;
  const rest = c.hosts.filter((h) => h !== victim);
  const tk = performance.now();
  await victim.kill('SIGKILL');
  const gone = await until(rest, 9, 5);
  console.log(
    `kill -9 → every other node dropped it: ${ms(performance.now() - tk)} (poll ${ms(gone)})`,
  );
  const cut = c.hosts[3] as ClusterHost;
  const live = rest.filter((h) => h !== cut);
  const tc = performance.now();
  await cut.disconnect();
  await until(live, 8, 20);
  console.log(
    `silent cut-off (veth down) → every other node dropped it: ${ms(performance.now() - tc)}`,
  );
  const tr = performance.now();
  await cut.reconnect();
  await until(rest, 9, 20);
  console.log(`cable back → rejoined everywhere: ${ms(performance.now() - tr)}`);
}
{
  await using c = await startCluster({ hosts: 3, flags: ['-degree', '2'] });
  await until(c.hosts, 3);
  const lat = await sendLatency(c, 300);
  console.log(
    `mesh send all host name, 3 hosts, one connection: median ${ms(pct(lat, 50))} p99 ${ms(pct(lat, 99))} (Go: 0.85 ms median)`,
  );
}
