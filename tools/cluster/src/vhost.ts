// A "virtual host": a network namespace plus one holder process that owns a
// private mount namespace and UTS namespace (its own hostname, optionally
// its own /tmp, optionally with paths hidden). Every program of the host —
// sshd, daemons, whatever ssh sessions start — runs in those namespaces
// (`nsenter` into the holder), so a host can be torn down completely by
// killing every process that shares its mount namespace.
import { readdirSync, readlinkSync } from 'node:fs';
import { execa, type ResultPromise } from 'execa';

export interface VirtualHostOptions {
  /** hostname inside the host */
  name: string;
  /** network namespace (already created) */
  netns: string;
  /** a tmpfs on /tmp, so /tmp/minimega and friends are the host's own */
  privateTmp?: boolean;
  /** paths made invisible: directories get an empty read-only tmpfs, files /dev/null */
  hide?: string[];
  /** bind mounts made before /tmp is replaced (so files from the real /tmp can be used) */
  binds?: { from: string; to: string }[];
  /** empty tmpfs mounts made after /tmp (e.g. /root, so lateBinds can create mount points in it) */
  tmpfs?: string[];
  /** bind mounts made last, from paths as seen inside the host */
  lateBinds?: { from: string; to: string }[];
}

export interface VirtualHost {
  readonly name: string;
  readonly netns: string;
  /** the holder's pid: `nsenter -t <pid> -m -u -n` enters the host */
  readonly pid: number;
  /** argv prefix that runs a program inside the host */
  enter(): string[];
  /** run a program inside the host and wait for it */
  exec(
    argv: string[],
    opts?: { input?: string },
  ): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  /** start a long-running program inside the host, output appended to `logFile` */
  spawn(argv: string[], logFile: string, opts?: { detached?: boolean }): ResultPromise;
  /** pids of every process in the host (sharing its mount namespace) */
  pids(): number[];
  /** SIGTERM, then SIGKILL after `graceMs`, to every process of the host except the holder */
  killAll(graceMs?: number): Promise<void>;
  /** kill everything including the holder: the mount and UTS namespaces go away */
  close(): Promise<void>;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The holder's set-up script: runs as `sh -c` in the fresh namespaces, then becomes `sleep`. */
export function holderScript(o: VirtualHostOptions): string {
  const lines = ['set -e', `hostname ${q(o.name)}`];
  for (const b of o.binds ?? [])
    lines.push(`[ -e ${q(b.to)} ] || mkdir -p ${q(b.to)}`, `mount --bind ${q(b.from)} ${q(b.to)}`);
  if (o.privateTmp) lines.push('mount -t tmpfs -o mode=1777 tmpfs /tmp');
  for (const t of o.tmpfs ?? []) lines.push(`mount -t tmpfs -o mode=755 tmpfs ${q(t)}`);
  for (const b of o.lateBinds ?? [])
    lines.push(`[ -e ${q(b.to)} ] || mkdir -p ${q(b.to)}`, `mount --bind ${q(b.from)} ${q(b.to)}`);
  for (const p of o.hide ?? []) {
    lines.push(
      `if [ -d ${q(p)} ]; then mount -t tmpfs -o ro,mode=755 tmpfs ${q(p)}; elif [ -e ${q(p)} ]; then mount --bind /dev/null ${q(p)}; fi`,
    );
  }
  lines.push('echo ready', 'exec sleep 2147483647');
  return lines.join('\n');
}

function mntNs(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Start the holder; resolves once the namespaces are set up. */
export async function startVirtualHost(
  o: VirtualHostOptions,
  opts: { detached?: boolean } = {},
): Promise<VirtualHost> {
  const holder = execa(
    'ip',
    [
      ...['netns', 'exec', o.netns, 'unshare', '--mount', '--uts', '--propagation', 'private'],
      ...['--', 'sh', '-c', holderScript(o)],
    ],
    {
      reject: false,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      ...(opts.detached ? { detached: true, cleanup: false } : {}),
    },
  );
  const pid = holder.pid;
  if (pid === undefined) throw new Error(`${o.name}: could not start the host's holder process`);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    let err = '';
    holder.stdout?.on('data', (c: Buffer) => {
      out += String(c);
      if (out.includes('ready')) resolve();
    });
    holder.stderr?.on('data', (c: Buffer) => {
      err += String(c);
    });
    void holder.then((r) =>
      reject(new Error(`${o.name}: host set-up failed (exit ${r.exitCode}): ${err.trim()}`)),
    );
  });
  if (opts.detached) {
    holder.stdout?.destroy();
    holder.stderr?.destroy();
    holder.unref();
  }
  return virtualHostFromPid({ name: o.name, netns: o.netns, pid });
}

/** A handle on a host whose holder already runs (e.g. started by `cluster.sh up`). */
export function virtualHostFromPid(h: { name: string; netns: string; pid: number }): VirtualHost {
  const { name, netns, pid } = h;
  const ns = mntNs(pid);
  const enter = () => ['nsenter', '-t', String(pid), '-m', '-u', '-n', '--'];
  const pids = (): number[] => {
    if (!ns) return [];
    const out: number[] = [];
    for (const e of readdirSync('/proc')) {
      if (!/^\d+$/.test(e)) continue;
      const p = Number(e);
      if (mntNs(p) === ns) out.push(p);
    }
    return out;
  };
  const killAll = async (graceMs = 2000) => {
    const victims = pids().filter((p) => p !== pid);
    for (const p of victims) {
      try {
        process.kill(p, 'SIGTERM');
      } catch {}
    }
    const end = Date.now() + graceMs;
    while (victims.some(alive) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    for (const p of pids().filter((x) => x !== pid)) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {}
    }
  };
  return {
    name,
    netns,
    pid,
    enter,
    async exec(argv, opts = {}) {
      const r = await execa(enter()[0]!, [...enter().slice(1), ...argv], {
        reject: false,
        ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' }),
      });
      return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
    },
    spawn(argv, logFile, opts = {}) {
      const p = execa(enter()[0]!, [...enter().slice(1), ...argv], {
        reject: false,
        stdin: 'ignore',
        stdout: { file: logFile, append: true },
        stderr: { file: logFile, append: true },
        ...(opts.detached ? { detached: true, cleanup: false } : {}),
      });
      if (opts.detached) p.unref();
      return p;
    },
    pids,
    killAll,
    async close() {
      await killAll(1000);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
      const end = Date.now() + 3000;
      while (alive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    },
  };
}
