// `deploy launch`: every host in parallel (bounded), each one probed (one
// ssh session), then sent what it lacks and started detached (a second
// session over the same connection: the executable travels compressed when
// the host can unpack it), then watched until it has joined the mesh (the
// head dials it as soon as it listens), has exited (its last log lines say
// why) or its deadline passed. One result per host; a failing host never
// stops the others.
import { readFile } from 'node:fs/promises';
import {
  CopyFailedError,
  DeployAbortedError,
  DeployError,
  DeploySelfError,
  ExitedEarlyError,
  JoinTimeoutError,
  SshError,
  StartFailedError,
} from './errors.js';
import type { Codec, LocalExecutable } from './executable.js';
import { shellQuote } from './flags.js';
import type { RemoteShell, SshTarget, StdinPart } from './ssh.js';

/** What deploy needs from the mesh (the daemon's node, or a fake). */
export interface MeshView {
  /** this node's name */
  readonly self: string;
  /** every node reachable now, self included */
  nodes(): string[];
  /** connect to a node by address (host or host:port); resolves with its name */
  dial(address: string, opts: { signal: AbortSignal }): Promise<string>;
}

export interface LaunchPlan {
  targets: SshTarget[];
  /** start the daemon as root with `sudo -n` */
  sudo: boolean;
  exe: LocalExecutable;
  /** flag words for the remote daemon (already including -nostdin=true) */
  flags: string[];
  /** the remote daemon's -base */
  remoteBase: string;
  /** remote directory holding deployed executables */
  remoteDir: string;
  /** remote files for the daemon's stdout and stderr (appended to) */
  stdout: string;
  stderr: string;
  /** the mesh key file to copy to `remote` (mode 0600) */
  meshKey?: { local: string; remote: string };
  /** the mesh port the remote daemon listens on (dial address) */
  port?: number;
  /** per-host deadline, ms from the start of `deploy launch` */
  timeoutMs: number;
  /** hosts handled at once */
  concurrency?: number;
}

export type CopyState = 'copied' | 'skipped' | '';

export interface HostResult {
  host: string;
  /** the host's mesh name (its hostname), once known */
  name: string;
  joined: boolean;
  copy: CopyState;
  /** the remote daemon's pid ('' when not started) */
  pid: string;
  /** already running before this deploy (not started again) */
  alreadyRunning: boolean;
  ms: number;
  error?: DeployError;
}

export interface LaunchDeps {
  shell: RemoteShell;
  mesh: MeshView;
  /** the mesh key's bytes (read once by launch when the plan has a key) */
  meshKey?: Uint8Array;
  status?: (msg: string) => void;
  signal?: AbortSignal;
  /** poll interval while waiting for a host to join, ms */
  pollMs?: number;
}

/** The remote path of an executable: named by its hash, so one file per build. */
export function remoteExecutablePath(plan: Pick<LaunchPlan, 'remoteDir' | 'exe'>): string {
  return `${plan.remoteDir.replace(/\/+$/, '')}/minimega-${plan.exe.sha256.slice(0, 16)}`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((res) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      res();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * The probe: hostname, whether the deployed file is there (its size), which
 * decompressors the host has, and the pid of a live daemon. The directory
 * of deployed files must be this user's own (not a symlink, mode 0700): the
 * file found there by its hash-derived name is then the one an earlier
 * deploy renamed into place after a complete, checksummed transfer, so it
 * is not hashed again (85 MB of sha256 per host per deploy).
 */
export function probeScript(plan: LaunchPlan): string {
  const q = shellQuote;
  const dir = q(plan.remoteDir);
  const exe = q(remoteExecutablePath(plan));
  const pidFile = q(`${plan.remoteBase.replace(/\/+$/, '')}/minimega.pid`);
  return [
    `mkdir -p -m 700 ${dir} || exit 3`,
    `if [ -L ${dir} ] || [ ! -O ${dir} ]; then echo "baddir=owned by another user than $(id -un), or a symlink"; exit 0; fi`,
    `chmod 700 ${dir} || exit 3`,
    'echo "host=$(hostname)"',
    `if [ -f ${exe} ] && [ -O ${exe} ]; then echo "have=$(wc -c < ${exe})"; fi`,
    'command -v zstd >/dev/null 2>&1 && echo zstd=1',
    'command -v gzip >/dev/null 2>&1 && echo gzip=1',
    `p=$(cat ${pidFile} 2>/dev/null); [ -n "$p" ] && [ -d "/proc/$p" ] && echo "running=$p"`,
    'true',
  ].join('; ');
}

export interface Probe {
  host: string;
  /** size of the deployed file with this build's name, -1 when absent */
  have: number;
  codecs: Codec[];
  running: string;
  /** why the deploy directory cannot be used ('' when it can) */
  badDir: string;
}

export function parseProbe(stdout: string): Probe {
  const get = (k: string) =>
    stdout
      .split('\n')
      .find((l) => l.startsWith(`${k}=`))
      ?.slice(k.length + 1)
      .trim() ?? '';
  const have = get('have');
  return {
    host: get('host'),
    have: /^\d+$/.test(have) ? Number(have) : -1,
    codecs: (['zstd', 'gzip'] as const).filter((c) => get(c) === '1'),
    running: get('running'),
    badDir: get('baddir'),
  };
}

/** How a copy travels: the smallest form the host can unpack. */
export interface Transfer {
  codec: Codec | 'raw';
  /** the local file sent */
  path: string;
  /** bytes sent */
  size: number;
}

export function chooseTransfer(exe: LocalExecutable, remoteCodecs: readonly Codec[]): Transfer {
  for (const codec of ['zstd', 'gzip'] as const) {
    const packed = exe.packed?.[codec];
    if (packed && remoteCodecs.includes(codec)) return { codec, ...packed };
  }
  return { codec: 'raw', path: exe.path, size: exe.size };
}

const DECOMPRESS: Record<Transfer['codec'], string> = {
  zstd: 'zstd -dqc',
  gzip: 'gzip -dc',
  raw: 'cat',
};

/** Exit status of the install script when the copy (or the key) failed. */
export const COPY_FAILED_EXIT = 41;

/**
 * One ssh session that writes what the probe found missing and starts the
 * daemon: the mesh key (its first `keyBytes` bytes of stdin), then the
 * executable (the rest, compressed by `copy.codec`, checked for its size and
 * renamed into place), then `nohup` the daemon detached (under `sudo -n`
 * when asked) and print its pid.
 */
export function installScript(
  plan: LaunchPlan,
  o: { keyBytes?: number; copy?: Transfer; start: boolean },
): string {
  const q = shellQuote;
  const exe = remoteExecutablePath(plan);
  // `word`: the message as one shell word (quoted by the caller)
  const fail = (word: string) =>
    `{ echo ${word} >&2; rm -f ${q(`${exe}.part`)}; exit ${COPY_FAILED_EXIT}; }`;
  const dec = DECOMPRESS[o.copy?.codec ?? 'raw'];
  const copy: string[] = [];
  if (o.keyBytes !== undefined && plan.meshKey) {
    const key = plan.meshKey.remote;
    copy.push(
      `head -c ${o.keyBytes} > ${q(`${key}.part`)} && [ "$(wc -c < ${q(`${key}.part`)})" = ${o.keyBytes} ] && mv -f ${q(`${key}.part`)} ${q(key)} || ${fail(q('mesh key not written'))}`,
    );
  }
  if (o.copy) {
    copy.push(
      `${dec} > ${q(`${exe}.part`)} || ${fail(q(`${dec} failed`))}`,
      `n=$(wc -c < ${q(`${exe}.part`)}); [ "$n" = ${plan.exe.size} ] || ${fail(`"got $n of ${plan.exe.size} bytes"`)}`,
      `chmod 755 ${q(`${exe}.part`)} && mv -f ${q(`${exe}.part`)} ${q(exe)} || ${fail(q('rename failed'))}`,
      'echo copied',
    );
  }
  const lines: string[] = [];
  // the copy writes 0600/0700 files; the daemon keeps the login umask
  if (copy.length > 0) lines.push(`(umask 077; ${copy.join('\n')}) || exit $?`);
  if (o.start) {
    const start = [
      'set -e',
      `mkdir -p ${q(plan.remoteBase)}`,
      'cd /',
      `nohup ${[exe, ...plan.flags].map(q).join(' ')} >>${q(plan.stdout)} 2>>${q(plan.stderr)} </dev/null &`,
      'echo "pid=$!"',
    ].join('\n');
    lines.push(plan.sudo ? `sudo -n sh -c ${q(start)}` : start);
  }
  return lines.join('\n');
}

/** Exit check: prints `dead` and the daemon's last log lines when it is gone. */
export function aliveScript(plan: LaunchPlan, pid: string): string {
  const q = shellQuote;
  return `[ -d /proc/${q(pid)} ] && echo alive || { echo dead; grep -v '^[[:space:]]' ${q(plan.stderr)} 2>/dev/null | tail -n 40; }`;
}

/**
 * The lines worth showing from a dead daemon's stderr: its last few, minus
 * the flag usage text a bad flag prints after the error itself.
 */
export function lastLogLines(lines: string[], n = 5): string {
  return lines
    .filter((l) => l.trim() !== '' && !/^\s/.test(l) && !/^usage: /.test(l))
    .slice(-n)
    .join('\n');
}

async function deployOne(
  target: SshTarget,
  plan: LaunchPlan,
  deps: LaunchDeps,
  deadline: number,
): Promise<HostResult> {
  const t0 = Date.now();
  const r: HostResult = {
    host: target.host,
    name: '',
    joined: false,
    copy: '',
    pid: '',
    alreadyRunning: false,
    ms: 0,
  };
  const say = (m: string) => deps.status?.(`deploy: ${target.host}: ${m}`);
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  deps.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => ac.abort(), Math.max(0, deadline - Date.now()));
  const signal = ac.signal;
  let phase = 'connecting';
  try {
    const probe = await deps.shell.run(target, probeScript(plan), { signal });
    if (probe.exitCode !== 0) {
      throw new SshError(`probe exited ${probe.exitCode}: ${probe.stderr.trim()}`);
    }
    const p = parseProbe(probe.stdout);
    if (p.badDir) throw new CopyFailedError(`${plan.remoteDir}: ${p.badDir}`);
    r.name = p.host || target.host;
    if (r.name === deps.mesh.self) throw new DeploySelfError(`${target.host} is ${r.name}`);

    // one more session: the key and the executable on stdin, then the start
    let transfer: Transfer | undefined;
    if (p.have === plan.exe.size) {
      r.copy = 'skipped';
      say('same executable already there, copy skipped');
    } else {
      transfer = chooseTransfer(plan.exe, p.codecs);
      say(
        `copying ${(transfer.size / 1048576).toFixed(0)} MB${transfer.codec === 'raw' ? '' : ` (${transfer.codec})`}`,
      );
    }
    if (p.running) {
      r.pid = p.running;
      r.alreadyRunning = true;
      say(`minimega already running (pid ${p.running}), not started again`);
    }
    const key = deps.meshKey;
    if (transfer || key || !p.running) {
      phase = transfer ? 'copying' : 'starting';
      const stdin: StdinPart[] = [];
      if (key) stdin.push(key);
      if (transfer) stdin.push({ file: transfer.path });
      const script = installScript(plan, {
        ...(key ? { keyBytes: key.length } : {}),
        ...(transfer ? { copy: transfer } : {}),
        start: !p.running,
      });
      const res = await deps.shell.run(target, script, {
        signal,
        ...(stdin.length > 0 ? { stdin } : {}),
      });
      if (res.exitCode === COPY_FAILED_EXIT) {
        throw new CopyFailedError(
          lastLogLines(res.stderr.split('\n'), 3).replace(/\n/g, '; ') || 'copy failed',
        );
      }
      if (transfer && /^copied$/m.test(res.stdout)) {
        r.copy = 'copied';
        say('copied');
      }
      if (!p.running) {
        const pid = /pid=(\d+)/.exec(res.stdout)?.[1];
        if (res.exitCode !== 0 || !pid) {
          throw new StartFailedError(
            (res.stderr.trim() || res.stdout.trim() || `exit ${res.exitCode}`).slice(-500),
          );
        }
        r.pid = pid;
        say(`started (pid ${pid}), waiting for it to join the mesh`);
      } else if (res.exitCode !== 0) {
        throw new SshError(`exit ${res.exitCode}: ${res.stderr.trim().slice(-500)}`);
      }
    }

    // wait for the mesh: dial it ourselves (a head with -degree 0 gets no
    // connections on its own), and check now and then that it still runs
    phase = 'waiting for it to join the mesh';
    const address = plan.port ? `${target.host}:${plan.port}` : target.host;
    const poll = deps.pollMs ?? 100;
    let nextAliveCheck = Date.now() + 1000;
    while (!deps.mesh.nodes().includes(r.name)) {
      if (signal.aborted) break;
      try {
        const dialAc = new AbortController();
        const stop = () => dialAc.abort();
        signal.addEventListener('abort', stop, { once: true });
        const t = setTimeout(stop, 1500);
        try {
          const name = await deps.mesh.dial(address, { signal: dialAc.signal });
          if (name && name !== r.name) r.name = name;
        } finally {
          clearTimeout(t);
          signal.removeEventListener('abort', stop);
        }
      } catch {
        // not listening yet, or already connected through another node
      }
      if (deps.mesh.nodes().includes(r.name)) break;
      if (Date.now() >= nextAliveCheck && r.pid) {
        nextAliveCheck = Date.now() + 1000;
        const alive = await deps.shell.run(target, aliveScript(plan, r.pid), { signal });
        if (alive.stdout.startsWith('dead')) {
          throw new ExitedEarlyError(
            lastLogLines(alive.stdout.split('\n').slice(1)) || '(nothing in its log)',
          );
        }
      }
      await sleep(poll, signal);
    }
    if (!deps.mesh.nodes().includes(r.name)) {
      if (deps.signal?.aborted) throw new DeployAbortedError('');
      throw new JoinTimeoutError(
        `not in the mesh after ${((Date.now() - t0) / 1000).toFixed(1)}s (its log: ${plan.stderr})`,
      );
    }
    r.joined = true;
    say('joined');
  } catch (e) {
    if (deps.signal?.aborted) r.error = new DeployAbortedError('');
    else if (signal.aborted && !(e instanceof JoinTimeoutError)) {
      r.error = new JoinTimeoutError(`deadline (${plan.timeoutMs / 1000}s) passed while ${phase}`);
    } else if (e instanceof DeployError) r.error = e;
    else r.error = new SshError(e instanceof Error ? e.message : String(e));
    say(`failed: ${r.error.row}`);
  } finally {
    clearTimeout(timer);
    deps.signal?.removeEventListener('abort', onAbort);
    r.ms = Date.now() - t0;
  }
  return r;
}

/** Deploy to every target; resolves with one result per target, in order. */
export async function launch(plan: LaunchPlan, deps: LaunchDeps): Promise<HostResult[]> {
  if (plan.meshKey && !deps.meshKey) {
    deps = { ...deps, meshKey: await readFile(plan.meshKey.local) };
  }
  const deadline = Date.now() + plan.timeoutMs;
  const results: HostResult[] = new Array(plan.targets.length);
  let next = 0;
  const worker = async () => {
    while (next < plan.targets.length) {
      const i = next++;
      const t = plan.targets[i]!;
      results[i] = await deployOne(t, plan, deps, deadline);
    }
  };
  const n = Math.max(1, Math.min(plan.concurrency ?? 16, plan.targets.length));
  await Promise.all(Array.from({ length: n }, worker));
  return results;
}
