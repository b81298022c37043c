// The real driver: starts QEMU (through a small helper shell by default, see
// spawner.ts; or directly with execa), supervises it and speaks QMP on
// `<instance>/qmp`.
import { access, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { getPriority, setPriority } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { type AccelSetting, accelResolver, type ProbeAccelOptions } from './accel.js';
import { applyOverrides, buildArgs } from './argv.js';
import type { StartVmOptions, VmDriver, VmExit, VmProcess } from './driver.js';
import { QemuStartError } from './errors.js';
import { resolveQemuBinary } from './probe.js';
import { QmpClient } from './qmp.js';
import { reattachQemu } from './reattach.js';
import { createSpawner } from './spawner.js';

export interface QemuDriverOptions {
  accel: AccelSetting;
  probe?: ProbeAccelOptions;
  /** how long to keep dialling QMP after starting QEMU; default 30 s (minimega: 50 x 100 ms, too short on a loaded host) */
  qmpWaitMs?: number;
  /**
   * `helper` (default): QEMU is forked by one long-lived `sh`, stderr goes to
   * `<instance>/stderr`; `direct`: each QEMU is an execa child of the daemon,
   * stderr kept in memory. Both report the same exits.
   */
  spawn?: 'helper' | 'direct';
  /** niceness of each QEMU (default 10: the daemon wins the CPU over its guests) */
  nice?: number;
  /**
   * `oom_score_adj` given to each QEMU (default 500): when the host runs out
   * of memory the kernel then kills a guest (which shows as ERROR) rather than
   * the daemon, whose death would orphan every VM it manages.
   */
  oomScoreAdj?: number;
  log?: (msg: string) => void;
}

const STDERR_KEEP = 8192;

/** QEMU's control threads run this much nicer than the daemon (and no nicer than its vCPUs) */
const CONTROL_NICE_OFFSET = 5;

/**
 * QEMU's stderr without its `info: QEMU waiting for connection on: ...` line
 * for the QMP server socket, which says nothing about what went wrong.
 */
function withoutQmpWait(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => !l.includes('info: QEMU waiting for connection on:'))
    .join('\n')
    .trim();
}

/** One running QEMU as the driver sees it, whichever way it was started. */
interface Running {
  pid: number;
  /** resolves when it is gone: exit code or signal, or a spawn failure message */
  ended: Promise<{ code?: number; signal?: string; failure?: string }>;
  stderr(): Promise<string>;
  kill(): void;
}

/** the niceness of a guest's vCPUs while it is in the background (see VmProcess.background) */
const BACKGROUND_NICE = 19;

/** QEMU's vCPU threads (`query-cpus-fast`); empty when it cannot say */
async function vcpuThreads(qmp: QmpClient): Promise<Set<number>> {
  try {
    const cpus = (await qmp.execute('query-cpus-fast')) as { 'thread-id'?: unknown }[];
    return new Set(cpus.map((c) => c?.['thread-id']).filter((t) => typeof t === 'number'));
  } catch {
    return new Set();
  }
}

/**
 * Gives QEMU's control side (the main loop that answers QMP and emulates
 * devices, its monitor and worker threads) a niceness between the daemon's
 * and the vCPUs': only the vCPU threads keep `nice`. With every thread
 * niced, a QMP command waited behind the guests already running: `vm start
 * all` of 50 TCG guests took seconds, most of it the last few `cont` replies
 * queued behind 49 booting vCPUs. At the daemon's own priority they took the
 * daemon's CPU instead while it was still sending the other 49 (A/B at load
 * 33-41: 518-1379 ms at +0, 200-358 ms at +5). Best effort: raising a
 * priority needs CAP_SYS_NICE; without it every thread stays niced.
 */
async function controlAboveVcpus(pid: number, vcpus: Set<number>, vcpuNice: number): Promise<void> {
  if (vcpus.size === 0) return;
  await reniceThreads(pid, Math.min(getPriority() + CONTROL_NICE_OFFSET, vcpuNice), vcpus);
}

let sysNice: boolean | undefined;
/** whether this process may raise a niceness it lowered (CAP_SYS_NICE in its effective set) */
async function canRaisePriority(): Promise<boolean> {
  if (sysNice === undefined) {
    const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
    const eff = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
    sysNice = eff !== undefined && (BigInt(`0x${eff}`) & (1n << 23n)) !== 0n;
  }
  return sysNice;
}

/**
 * Sets the niceness of every thread `pid` has so far (niceness is per thread
 * on Linux; threads made later inherit their creator's), but those in
 * `skip`. Best effort: raising it needs CAP_SYS_NICE, and a thread may be
 * gone already; such a thread keeps what it had.
 */
async function reniceThreads(pid: number, nice: number, skip?: ReadonlySet<number>): Promise<void> {
  for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [String(pid)])) {
    if (skip?.has(Number(tid))) continue;
    try {
      setPriority(Number(tid), nice);
    } catch {
      // no privilege, or the thread is gone
    }
  }
}

function runDirect(bin: string, args: string[], cwd: string): Running {
  let stderr = '';
  const child = execa(bin, args, {
    reject: false,
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'pipe',
    buffer: false,
    cwd,
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-STDERR_KEEP);
  });
  return {
    pid: child.pid ?? 0,
    ended: child.then((r) => ({
      code: r.exitCode,
      signal: r.signal,
      failure:
        r.exitCode === undefined && !r.signal ? (r.shortMessage ?? 'spawn failed') : undefined,
    })),
    stderr: async () => stderr,
    kill: () => child.kill('SIGKILL'),
  };
}

export function createQemuDriver(opts: QemuDriverOptions): VmDriver & { close(): Promise<void> } {
  const accel = accelResolver(opts.accel, { ...opts.probe, log: opts.probe?.log ?? opts.log });
  const spawner = opts.spawn === 'direct' ? undefined : createSpawner();

  async function run(bin: string, args: string[], cwd: string): Promise<Running> {
    if (!spawner) return runDirect(bin, args, cwd);
    const stderrFile = join(cwd, 'stderr');
    // the file is appended to by every run in this instance dir (a relaunch
    // reuses it): this run's errors are what comes after its current end
    const from = (await stat(stderrFile).catch(() => undefined))?.size ?? 0;
    const p = spawner.spawn(bin, args, { cwd, stderrFile });
    const pid = await p.pid;
    return {
      pid,
      ended: p.exited.then((r) => ({ code: r.code, signal: r.signal })),
      stderr: async () =>
        (await readFile(stderrFile).catch(() => Buffer.alloc(0)))
          .subarray(from)
          .toString('utf8')
          .slice(-STDERR_KEEP),
      kill: () => {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      },
    };
  }

  async function start(s: StartVmOptions): Promise<VmProcess> {
    const bin = await resolveQemuBinary(s.config.qemu);
    const built = buildArgs(s.config, {
      id: s.id,
      instanceDir: s.instanceDir,
      accel: await accel(),
    });
    // minimega always makes the override string round trip, which splits an
    // -append holding a quoted word into stray arguments: only make it when
    // there are rules to apply
    const args =
      s.config.qemuOverride.length > 0 ? applyOverrides(built, s.config.qemuOverride) : built;
    const proc = await run(bin, args, s.instanceDir);
    if (proc.pid > 0) {
      // best effort: raising it needs no privilege, but /proc may be missing
      await writeFile(`/proc/${proc.pid}/oom_score_adj`, String(opts.oomScoreAdj ?? 500)).catch(
        () => {},
      );
      // guests yield the CPU to the daemon: on a busy host a burst of guests
      // must not starve its mesh heartbeats (peers would drop it)
      // (niceness is per thread on Linux: every thread QEMU has made so far,
      // vCPUs included; later ones inherit it; once QMP answers, only the
      // vCPUs keep it, see controlAboveVcpus)
      await reniceThreads(proc.pid, opts.nice ?? 10);
    }
    let killing = false;
    let gone = false;
    const exited: Promise<VmExit> = proc.ended.then(async (r) => {
      gone = true;
      if (killing) return { expected: true, reason: 'killed' };
      if (r.code === 0) return { expected: true, reason: 'qemu exited' };
      const tail = withoutQmpWait(await proc.stderr());
      const how = r.signal
        ? `qemu killed by ${r.signal}`
        : r.code !== undefined
          ? `qemu exited with status ${r.code}`
          : (r.failure ?? 'qemu failed');
      return { expected: false, reason: tail ? `${how}: ${tail}` : how };
    });
    const kill = async () => {
      killing = true;
      proc.kill();
      await exited;
    };

    let qmp: QmpClient | undefined;
    const path = `${s.instanceDir}/qmp`;
    // poll for the socket often at first (QEMU makes it within tens of ms), then back off
    const deadline = Date.now() + (opts.qmpWaitMs ?? 30_000);
    for (let delay = 10; !gone && Date.now() < deadline; delay = Math.min(delay * 2, 100)) {
      const ready = await access(path).then(
        () => true,
        () => false,
      );
      if (ready) {
        try {
          qmp = await QmpClient.connect({ path, timeoutMs: 10_000, signal: s.signal });
          break;
        } catch {
          if (s.signal?.aborted) break;
        }
      }
      await sleep(delay);
    }
    if (!qmp) {
      const early = gone ? await exited : undefined;
      if (!gone) await kill();
      // QEMU exited before QMP answered: that is a start failure with its
      // reason, not a QMP timeout (which minimega reports for both)
      if (early) throw new QemuStartError(`unable to start qemu: ${early.reason}`);
      throw new QemuStartError(
        `unable to connect to qmp socket: qmp timeout. qemu output: ${withoutQmpWait(await proc.stderr())}`,
      );
    }
    const monitor = qmp;
    void exited.then(() => monitor.close());
    const nice = opts.nice ?? 10;
    const vcpus = proc.pid > 0 ? await vcpuThreads(monitor) : new Set<number>();
    await controlAboveVcpus(proc.pid, vcpus, nice);
    // a guest left in the background for good would crawl: only when its
    // priority can be raised back
    const background =
      vcpus.size > 0 && nice < BACKGROUND_NICE && (await canRaisePriority())
        ? (on: boolean) => {
            // its thread ids may belong to someone else once it is gone
            if (gone) return;
            for (const tid of vcpus) {
              try {
                setPriority(tid, on ? BACKGROUND_NICE : nice);
              } catch {
                // the thread is gone (QEMU exited)
              }
            }
          }
        : undefined;
    return {
      pid: proc.pid,
      ...(background ? { background } : {}),
      argv: [bin, ...args],
      monitor,
      exited,
      kill: async () => {
        monitor.close();
        await kill();
      },
    };
  }

  async function createOverlay(o: {
    backing: string;
    overlay: string;
    signal?: AbortSignal;
  }): Promise<void> {
    // a relative backing path is relative to the overlay (as qemu-img reads it)
    const cwd = dirname(o.overlay);
    // a missing disk is the usual mistake: say so plainly, not through qemu-img
    await access(resolve(cwd, o.backing)).catch(() => {
      throw new Error('no such file or directory');
    });
    // qemu-img's own complaint, not execa's dump of the whole command line
    const qemuImg = (args: string[]) =>
      execa('qemu-img', args, { cwd, cancelSignal: o.signal }).catch((err: unknown) => {
        const e = err as { stderr?: unknown; shortMessage?: string; message?: string };
        const said = typeof e.stderr === 'string' ? e.stderr.trim() : '';
        throw new Error(said || e.shortMessage || e.message || String(err), { cause: err });
      });
    const info = await qemuImg(['info', '--output=json', o.backing]);
    const fmt = (JSON.parse(info.stdout) as { format?: string }).format ?? 'raw';
    await qemuImg(['create', '-f', 'qcow2', '-b', o.backing, '-F', fmt, o.overlay]);
  }

  return {
    start,
    createOverlay,
    accel,
    // -recover: QEMU keeps running; QMP is reconnected, its pid watched
    reattach: (o) =>
      reattachQemu({
        pid: o.pid,
        instanceDir: o.instanceDir,
        ...(o.signal ? { signal: o.signal } : {}),
      }),
    close: async () => spawner?.close(),
  };
}
