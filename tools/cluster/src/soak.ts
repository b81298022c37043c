// Soak: three real daemons (own network namespaces, one mesh) under random
// commands, random kill -9 + restart with -recover, and dropped links (veth
// down, then up). Fails on a hang (a command past its deadline), a daemon
// that died without being killed, or a QEMU left running after the end.
import { type Cluster, startCluster } from './cluster.js';
import { describeOrphan, leftQemus } from './orphans.js';

export interface SoakOptions {
  seconds: number;
  /** random seed (printed, so a failing run can be replayed) */
  seed?: number;
  /** a bootable guest (kernel + initrd); without it VMs stay paused (BUILDING) */
  guest?: { kernel: string; initrd: string };
  /** most VMs per host at once */
  maxVms?: number;
  /** one command's deadline, ms (past it: a hang) */
  commandTimeoutMs?: number;
  log?: (msg: string) => void;
}

export interface SoakReport {
  seed: number;
  actions: Record<string, number>;
  commands: number;
  /** commands that answered with an error (allowed: VMs come and go) */
  commandErrors: number;
  /** hangs, crashes, orphans: any entry fails the soak */
  failures: string[];
}

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number) {
  let t = seed >>> 0;
  const next = () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let x = t;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n) };
}

async function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`hang: ${what} took over ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export async function runSoak(opts: SoakOptions): Promise<SoakReport> {
  const seed = opts.seed ?? Date.now() % 1_000_000;
  const r = rng(seed);
  const log = opts.log ?? (() => {});
  const maxVms = opts.maxVms ?? 2;
  const deadline = opts.commandTimeoutMs ?? 60_000;
  const report: SoakReport = { seed, actions: {}, commands: 0, commandErrors: 0, failures: [] };
  const count = (a: string) => {
    report.actions[a] = (report.actions[a] ?? 0) + 1;
  };
  const flags = ['-accel', 'tcg', '-degree', '2', '-level', 'info'];
  const cluster: Cluster = await startCluster({ hosts: 3, flags });
  const dir = cluster.hosts[0]!.base.replace(/\/[^/]+$/, '');
  const expectedDown = new Set<string>();
  let vmSeq = 0;
  try {
    const setup = async (h: Cluster['hosts'][number]) => {
      await h.run('vm config memory 64');
      if (opts.guest) {
        await h.run(`vm config kernel ${opts.guest.kernel}`);
        await h.run(`vm config initrd ${opts.guest.initrd}`);
      }
    };
    for (const h of cluster.hosts) await setup(h);
    const end = Date.now() + opts.seconds * 1000;
    while (Date.now() < end && report.failures.length === 0) {
      const h = cluster.hosts[r.int(cluster.hosts.length)]!;
      for (const x of cluster.hosts) {
        if (!x.running && !expectedDown.has(x.name))
          report.failures.push(
            `${x.name}: the daemon died without being killed (see ${x.logFile})`,
          );
      }
      // at least one crash and one dropped link in every run, however short
      const half = Date.now() > end - (opts.seconds * 1000) / 2;
      const roll = !half
        ? r.next()
        : !report.actions['kill -9 + restart -recover']
          ? 0
          : !report.actions['link down/up']
            ? 0.1
            : r.next();
      try {
        if (roll < 0.08) {
          count('kill -9 + restart -recover');
          expectedDown.add(h.name);
          await h.kill('SIGKILL');
          await withDeadline(h.start(['-recover']), deadline, `${h.name} restart -recover`);
          expectedDown.delete(h.name);
          await setup(h);
          log(`${h.name}: killed and recovered`);
        } else if (roll < 0.14) {
          count('link down/up');
          await h.disconnect();
          await new Promise((res) => setTimeout(res, 500 + r.int(2500)));
          await h.reconnect();
        } else {
          const vms = (
            await withDeadline(h.run('vm info'), deadline, `${h.name} vm info`)
          )[0]?.Tabular?.map((row) => row[1] ?? '');
          const some = vms && vms.length > 0 ? vms[r.int(vms.length)] : undefined;
          const choices = [
            'vm info',
            'host',
            'mesh status',
            'vlans',
            'tap',
            'echo soak',
            'mesh send all host name',
            'vm flush',
            'vm stop all',
            ...(some
              ? [`vm start ${some}`, `vm kill ${some}`, `vm tag ${some} soak ${vmSeq}`]
              : []),
            ...((vms?.length ?? 0) < maxVms ? [`vm launch kvm soak${vmSeq++}`] : []),
          ];
          const line = choices[r.int(choices.length)]!;
          count(line.split(' ').slice(0, 2).join(' '));
          const resps = await withDeadline(h.run(line), deadline, `${h.name}: ${line}`);
          report.commands++;
          if (resps.some((x) => x.Error)) report.commandErrors++;
        }
      } catch (e) {
        const msg = (e as Error).message;
        // a mesh peer that just went away may fail a fan-out: only hangs and dead daemons count
        if (/^hang:/.test(msg)) report.failures.push(msg);
        else if (!h.running && !expectedDown.has(h.name)) report.failures.push(`${h.name}: ${msg}`);
        else log(`${h.name}: ${msg}`);
      }
    }
  } finally {
    // daemons first (SIGTERM, their own shutdown deadline), then the check
    // while their logs and instance dirs are still there to say why
    try {
      const exits = await cluster.stop();
      for (const e of exits) {
        log(`${e.host}: stopped in ${e.ms} ms`);
        if (e.forced)
          report.failures.push(
            `${e.host}: the daemon did not exit within its shutdown deadline after SIGTERM (${e.ms} ms; SIGKILLed)`,
          );
      }
      const left = await leftQemus(dir);
      if (left.length > 0) {
        report.failures.push(
          `orphaned QEMU after the end: pids ${left.join(', ')}\n  ${left.map((p) => describeOrphan(dir, p)).join('\n  ')}`,
        );
        for (const pid of left) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone
          }
        }
      }
    } finally {
      await cluster.close();
    }
  }
  return report;
}
