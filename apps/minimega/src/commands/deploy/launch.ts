// `deploy launch`: every host in parallel (bounded), each one probed, copied
// to when its copy differs, started detached, then watched until it has
// joined the mesh, has exited (its last log lines say why) or its deadline
// passed. One result per host; a failing host never stops the others.
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
import type { LocalExecutable } from './executable.js';
import { shellQuote } from './flags.js';
import type { RemoteShell, SshTarget } from './ssh.js';

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

/** The probe script's output: hostname, sha256 of the deployed file, pid of a live daemon. */
export function probeScript(plan: LaunchPlan): string {
  const exe = shellQuote(remoteExecutablePath(plan));
  const pidFile = shellQuote(`${plan.remoteBase.replace(/\/+$/, '')}/minimega.pid`);
  return [
    `mkdir -p ${shellQuote(plan.remoteDir)} || exit 3`,
    'echo "host=$(hostname)"',
    `echo "sha=$(sha256sum ${exe} 2>/dev/null | cut -c1-64)"`,
    `p=$(cat ${pidFile} 2>/dev/null); [ -n "$p" ] && [ -d "/proc/$p" ] && echo "running=$p"`,
    'true',
  ].join('; ');
}

export function parseProbe(stdout: string): { host: string; sha: string; running: string } {
  const get = (k: string) =>
    stdout
      .split('\n')
      .find((l) => l.startsWith(`${k}=`))
      ?.slice(k.length + 1)
      .trim() ?? '';
  return { host: get('host'), sha: get('sha'), running: get('running') };
}

/** Starts the daemon detached; prints its pid. */
export function startScript(plan: LaunchPlan, copied: boolean): string {
  const exe = remoteExecutablePath(plan);
  const q = shellQuote;
  const lines = [
    'set -e',
    `mkdir -p ${q(plan.remoteBase)}`,
    copied ? `mv -f ${q(`${exe}.part`)} ${q(exe)}` : '',
    `chmod 755 ${q(exe)}`,
    plan.meshKey ? `chmod 600 ${q(plan.meshKey.remote)}` : '',
    'cd /',
    `nohup ${[exe, ...plan.flags].map(q).join(' ')} >>${q(plan.stdout)} 2>>${q(plan.stderr)} </dev/null &`,
    'echo "pid=$!"',
  ].filter(Boolean);
  const script = lines.join('\n');
  return plan.sudo ? `sudo -n sh -c ${q(script)}` : script;
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
    r.name = p.host || target.host;
    if (r.name === deps.mesh.self) throw new DeploySelfError(`${target.host} is ${r.name}`);

    let copied = false;
    if (p.sha === plan.exe.sha256) {
      r.copy = 'skipped';
      say('same executable already there, copy skipped');
    } else {
      phase = 'copying';
      say(`copying ${(plan.exe.size / 1048576).toFixed(0)} MB`);
      try {
        await deps.shell.copy(target, plan.exe.path, `${remoteExecutablePath(plan)}.part`, {
          signal,
        });
        if (plan.meshKey) {
          await deps.shell.copy(target, plan.meshKey.local, plan.meshKey.remote, { signal });
        }
      } catch (e) {
        if (e instanceof SshError) throw new CopyFailedError(e.message);
        throw e;
      }
      copied = true;
      r.copy = 'copied';
    }
    if (!copied && plan.meshKey) {
      await deps.shell.copy(target, plan.meshKey.local, plan.meshKey.remote, { signal });
    }

    if (p.running) {
      r.pid = p.running;
      r.alreadyRunning = true;
      say(`minimega already running (pid ${p.running}), not started again`);
    } else {
      phase = 'starting';
      const started = await deps.shell.run(target, startScript(plan, copied), { signal });
      const pid = /pid=(\d+)/.exec(started.stdout)?.[1];
      if (started.exitCode !== 0 || !pid) {
        throw new StartFailedError(
          (started.stderr.trim() || started.stdout.trim() || `exit ${started.exitCode}`).slice(
            -500,
          ),
        );
      }
      r.pid = pid;
      say(`started (pid ${pid}), waiting for it to join the mesh`);
    }

    // wait for the mesh: dial it ourselves (a head with -degree 0 gets no
    // connections on its own), and check now and then that it still runs
    phase = 'waiting for it to join the mesh';
    const address = plan.port ? `${target.host}:${plan.port}` : target.host;
    const poll = deps.pollMs ?? 200;
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
