// deploy and the single executable (needs root, sshd). Prints:
//  - dist/minimega's size and `-e version` start time (median of 10, no daemon:
//    the dial error path; and against a running daemon);
//  - `deploy launch` from a head to 3 and to 10 namespace hosts (each with its
//    own sshd and /tmp): time until the whole mesh has joined, first with the
//    copy, then again (daemons stopped) with the copy skipped by hash.
// Each pass prints the load, the CPU the head daemon and the deployed daemons
// used, and (up to 3 hosts, or MM_BENCH_VERBOSE=1) the progress timeline.
// Go minimega (no build of it on this machine to compare sizes): its deploy is serial scp+ssh with no
// join check (the docs say "a minute or so"); -e costs ~25 ms per process
// (tools/cluster/bench/meshage.ts).
// Run: pnpm exec tsx tools/cluster/bench/deploy.ts [hosts...]   (default 3 10)
import { mkdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MinimegaClient, type WireResp } from '@mm/minimega/client';
import { execa } from 'execa';
import { ensureSea, makeKeyPair, startLab } from '../src/index.js';

/** user+sys seconds of a process (0 when gone) */
function cpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU of everything this bench starts (head, sshds, ssh clients, deployed
 * daemons, decompression): this process moves into its own cpuacct cgroup
 * (v1), which every child inherits. Undefined where there is none.
 */
function cpuAccounting(): { seconds(): number; close(): void } | undefined {
  const dir = `/sys/fs/cgroup/cpuacct/mm-bench-${process.pid}`;
  try {
    mkdirSync(dir);
    writeFileSync(join(dir, 'cgroup.procs'), String(process.pid));
  } catch {
    return undefined;
  }
  return {
    seconds: () => Number(readFileSync(join(dir, 'cpuacct.usage'), 'utf8')) / 1e9,
    close() {
      try {
        writeFileSync('/sys/fs/cgroup/cpuacct/cgroup.procs', String(process.pid));
        rmdirSync(dir);
      } catch {
        // children still inside: left for the next reboot (empty cgroups cost nothing)
      }
    },
  };
}
const acct = cpuAccounting();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function startTime(exe: string, base: string): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    await execa(exe, ['-base', base, '-e', 'version'], { reject: false });
    t.push(performance.now() - t0);
  }
  return median(t);
}

async function deployBench(exe: string, n: number): Promise<void> {
  const keys = await mkdtemp(join(tmpdir(), 'mm-bench-keys-'));
  try {
    const key = await makeKeyPair(join(keys, 'id'));
    const hosts = Array.from({ length: n }, (_, i) => ({
      name: `h${i + 1}`,
      sshd: { authorizedKeys: [key] },
      // the remote root's home is its own (empty), as on a real remote host:
      // this machine's /root/.bashrc runs `pyenv init`, ~1 s of CPU in every
      // ssh session (MM_BENCH_SHARED_HOME=1 keeps it, to see that cost)
      ...(process.env.MM_BENCH_SHARED_HOME ? {} : { tmpfs: ['/root'] }),
    }));
    // the head keeps the machine's /tmp: it runs dist/minimega from the checkout,
    // which may itself live under /tmp
    await using lab = await startLab([{ name: 'head', privateTmp: false }, ...hosts]);
    const head = lab.host('head');
    await writeFile(join(head.dir, 'id'), await readFile(join(keys, 'id')), { mode: 0o600 });
    const headProc = head.vhost!.spawn(
      [exe, '-base', '/mnt/base', '-nostdin', '-degree', '3'],
      join(head.dir, 'log'),
    );
    const headPid = headProc.pid!;
    const c = await MinimegaClient.dial(join(head.dir, 'base/minimega'), { waitMs: 30_000 });
    const run = async (cmd: string) =>
      (await c.runAll(cmd)).filter((r) => !r.Status).flatMap((r) => r.Resp ?? []);
    await run('deploy identity /mnt/id');
    const range = `h[1-${n}]`;
    for (const pass of ['copy', 'no copy (same hash)']) {
      const load0 = loadavg()[0]!;
      const cpu0 = cpuSeconds(headPid);
      const all0 = acct?.seconds() ?? 0;
      const t0 = performance.now();
      const resp: WireResp[] = [];
      const log: string[] = [];
      await c.run(`deploy launch ${range}`, (r) => {
        if (!r.Status) resp.push(...(r.Resp ?? []));
        else if (n <= 3 || process.env.MM_BENCH_VERBOSE) {
          const at = ((performance.now() - t0) / 1000).toFixed(2).padStart(6);
          log.push(
            `  ${at} s ${(r.Rendered || (r.Resp ?? []).map((x) => x.Response).join(' ')).trim()}`,
          );
        }
      });
      const dt = performance.now() - t0;
      const headCpu = cpuSeconds(headPid) - cpu0;
      const allCpu = (acct?.seconds() ?? 0) - all0;
      // the deployed daemons' CPU from their start until joined (start-up + join)
      let remoteCpu = 0;
      for (const h of lab.hosts.slice(1)) {
        const pid = await h.vhost!.exec(['sh', '-c', 'cat /mnt/base/minimega.pid']);
        // hosts have their own network and mounts but share this pid namespace
        remoteCpu += cpuSeconds(Number(pid.stdout.trim()));
      }
      const size = Number((await run('mesh status'))[0]?.Tabular?.[0]?.[0] ?? 0);
      const failed = resp.filter((r) => r.Error).map((r) => r.Error);
      console.log(
        `deploy launch to ${n} hosts, ${pass}: ${(dt / 1000).toFixed(2)} s until joined; mesh size ${size}${failed.length ? `; errors: ${failed.join('; ')}` : ''}`,
      );
      console.log(
        `  load ${load0.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)} (${cpus().length} cores); CPU: ${acct ? `${allCpu.toFixed(2)} s in all (head, ssh, sshd, unpacking, daemons), of which ` : ''}head daemon ${headCpu.toFixed(2)} s, deployed daemons ${remoteCpu.toFixed(2)} s`,
      );
      if (log.length) console.log(log.join('\n'));
      // stop the deployed daemons for the second pass
      for (const h of lab.hosts.slice(1)) {
        await h.vhost!.exec(['sh', '-c', 'kill $(cat /mnt/base/minimega.pid) 2>/dev/null']);
      }
      const end = Date.now() + 30_000;
      while (Date.now() < end) {
        const s = Number((await run('mesh status'))[0]?.Tabular?.[0]?.[0] ?? 0);
        if (s === 1) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await c.close();
  } finally {
    await rm(keys, { recursive: true, force: true });
  }
}

const exe = await ensureSea();
console.log(
  `remote hosts: ${process.env.MM_BENCH_SHARED_HOME ? "this machine's /root (its ~/.bashrc runs in every ssh session)" : 'an empty /root each (no ~/.bashrc)'}`,
);
console.log(`dist/minimega: ${(statSync(exe).size / 1048576).toFixed(1)} MB`);
const scratch = await mkdtemp(join(tmpdir(), 'mm-bench-'));
try {
  console.log(
    `-e version, no daemon (exit 1): ${(await startTime(exe, scratch)).toFixed(1)} ms median`,
  );
  const d = execa(exe, ['-base', scratch, '-nostdin', '-port', '0'], { reject: false });
  await MinimegaClient.dial(join(scratch, 'minimega'), { waitMs: 30_000 }).then((c) => c.close());
  console.log(
    `-e version, running daemon: ${(await startTime(exe, scratch)).toFixed(1)} ms median`,
  );
  d.kill('SIGTERM');
  await d;
} finally {
  await rm(scratch, { recursive: true, force: true });
}
const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((x) => x > 0);
try {
  for (const n of sizes.length ? sizes : [3, 10]) await deployBench(exe, n);
} finally {
  acct?.close();
}
