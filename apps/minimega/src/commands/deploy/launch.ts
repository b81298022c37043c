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
import type { ExecResult, RemoteSession, RemoteShell, SshTarget } from './ssh.js';

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
 * The probe part of the session script: hostname, whether the deployed file
 * is there (its size), which decompressors the host has, and the pid of a
 * live daemon (left in $p for the watch). The directory of deployed files
 * must be this user's own (not a symlink, mode 0700): the file found there
 * by its hash-derived name is then the one an earlier deploy renamed into
 * place after a complete, checked transfer, so it is not hashed again (85 MB
 * of sha256 per host per deploy).
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
    `p=$(cat ${pidFile} 2>/dev/null); if [ -n "$p" ] && [ -d "/proc/$p" ]; then echo "running=$p"; else p=; fi`,
  ].join('\n');
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

/** Exit status of the session script when the copy (or the key) failed. */
export const COPY_FAILED_EXIT = 41;

/** The line the head answers the probe with: key bytes, codec ('none': no copy), bytes sent, start. */
export function decisionLine(o: { keyBytes: number; copy?: Transfer; start: boolean }): string {
  return `${o.keyBytes} ${o.copy?.codec ?? 'none'} ${o.copy?.size ?? 0} ${o.start ? 1 : 0}\n`;
}

/**
 * The whole of a host's deploy as ONE script in ONE ssh session (each
 * session costs a handshake and the remote user's shell start-up):
 *  1. the probe, then `probe-end`;
 *  2. it reads the head's decision line (decisionLine), then from stdin the
 *     mesh key (exactly its bytes) and the executable (exactly the bytes
 *     sent, unpacked by the codec, checked for its size, renamed into
 *     place; `copied`), files private (umask 077);
 *  3. starts the daemon detached (under `sudo -n` when asked; `pid=N`),
 *     then `install-end`;
 *  4. watches the daemon until the head closes stdin (it has joined): if it
 *     dies first, `dead`, its last log lines, `dead-end`.
 */
export function sessionScript(plan: LaunchPlan): string {
  const q = shellQuote;
  const exe = remoteExecutablePath(plan);
  const part = q(`${exe}.part`);
  const fail = (word: string) => `{ echo ${word} >&2; rm -f ${part}; exit ${COPY_FAILED_EXIT}; }`;
  const key = plan.meshKey?.remote ?? `${plan.remoteDir}/meshkey`;
  const keyPart = q(`${key}.part`);
  const start = [
    'set -e',
    `mkdir -p ${q(plan.remoteBase)}`,
    'cd /',
    `nohup ${[exe, ...plan.flags].map(q).join(' ')} >>${q(plan.stdout)} 2>>${q(plan.stderr)} </dev/null &`,
    'echo "pid=$!"',
  ].join('\n');
  return [
    probeScript(plan),
    'echo probe-end',
    'read -r kb codec n start || exit 0',
    '(',
    'umask 077',
    `if [ "$kb" != 0 ]; then head -c "$kb" > ${keyPart} && [ "$(wc -c < ${keyPart})" = "$kb" ] && mv -f ${keyPart} ${q(key)} || ${fail(q('mesh key not written'))}; fi`,
    'case $codec in',
    `  zstd) head -c "$n" | zstd -dqc > ${part} || ${fail(q('zstd -dqc failed'))} ;;`,
    `  gzip) head -c "$n" | gzip -dc > ${part} || ${fail(q('gzip -dc failed'))} ;;`,
    `  raw) head -c "$n" > ${part} || ${fail(q('writing failed'))} ;;`,
    'esac',
    'if [ "$codec" != none ]; then',
    `  got=$(wc -c < ${part}); [ "$got" = ${plan.exe.size} ] || ${fail(`"got $got of ${plan.exe.size} bytes"`)}`,
    `  chmod 755 ${part} && mv -f ${part} ${q(exe)} || ${fail(q('rename failed'))}`,
    '  echo copied',
    'fi',
    ') || exit $?',
    'pid=$p',
    'if [ "$start" = 1 ]; then',
    `  out=$(${plan.sudo ? 'sudo -n ' : ''}sh -c ${q(start)}) || exit $?`,
    `  echo "$out"; pid=\${out#pid=}`,
    'fi',
    'echo install-end',
    '[ -n "$pid" ] || exit 0',
    `( while [ -d "/proc/$pid" ]; do sleep 0.2; done; echo dead; grep -v '^[[:space:]]' ${q(plan.stderr)} 2>/dev/null | tail -n 40; echo dead-end ) &`,
    'w=$!',
    'cat >/dev/null',
    'kill $w 2>/dev/null',
    'exit 0',
  ].join('\n');
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

/** Lines up to `marker` (excluded); `ended` when the session's stdout ended first. */
async function readUntil(
  s: RemoteSession,
  marker: string,
): Promise<{ lines: string[]; ended: boolean }> {
  const lines: string[] = [];
  for (;;) {
    const l = await s.readLine();
    if (l === undefined) return { lines, ended: true };
    if (l === marker) return { lines, ended: false };
    lines.push(l);
  }
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
  let session: RemoteSession | undefined;
  try {
    const s = deps.shell.session(target, sessionScript(plan), { signal });
    session = s;
    /** the session ended early: ssh's own failure, or the script's error */
    const ended = async (why: (res: ExecResult) => DeployError): Promise<never> => {
      const res = await s.done;
      throw why(res);
    };

    const probe = await readUntil(s, 'probe-end');
    const p = parseProbe(probe.lines.join('\n'));
    if (p.badDir) throw new CopyFailedError(`${plan.remoteDir}: ${p.badDir}`);
    if (probe.ended) {
      await ended(
        (res) => new SshError(`probe exited ${res.exitCode}: ${res.stderr.trim().slice(-500)}`),
      );
    }
    say('probed');
    r.name = p.host || target.host;
    if (r.name === deps.mesh.self) throw new DeploySelfError(`${target.host} is ${r.name}`);

    let transfer: Transfer | undefined;
    if (p.have === plan.exe.size) {
      r.copy = 'skipped';
      say('same executable already there, copy skipped');
    } else {
      transfer = chooseTransfer(plan.exe, p.codecs);
      phase = 'copying';
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
    await s.write(
      Buffer.from(
        decisionLine({
          keyBytes: key?.length ?? 0,
          ...(transfer ? { copy: transfer } : {}),
          start: !p.running,
        }),
      ),
    );
    if (key) await s.write(key);
    if (transfer) await s.write({ file: transfer.path });

    const install = await readUntil(s, 'install-end');
    if (transfer && install.lines.includes('copied')) {
      r.copy = 'copied';
      say('copied');
    }
    if (install.ended) {
      await ended((res) =>
        res.exitCode === COPY_FAILED_EXIT
          ? new CopyFailedError(
              lastLogLines(res.stderr.split('\n'), 3).replace(/\n/g, '; ') || 'copy failed',
            )
          : new StartFailedError(
              (
                res.stderr.trim() ||
                install.lines.join('\n').trim() ||
                `exit ${res.exitCode}`
              ).slice(-500),
            ),
      );
    }
    if (!p.running) {
      const pid = install.lines.map((l) => /^pid=(\d+)$/.exec(l)?.[1]).find(Boolean);
      if (!pid) throw new StartFailedError(install.lines.join('\n').trim() || 'no pid');
      r.pid = pid;
      say(`started (pid ${pid}), waiting for it to join the mesh`);
    }

    // the session now watches the daemon; meanwhile dial it ourselves (a
    // head with -degree 0 gets no connections on its own)
    phase = 'waiting for it to join the mesh';
    let died: string[] | undefined;
    void (async () => {
      const w = await readUntil(s, 'dead');
      if (w.ended) return;
      died = (await readUntil(s, 'dead-end')).lines;
    })();
    const address = plan.port ? `${target.host}:${plan.port}` : target.host;
    const poll = deps.pollMs ?? 100;
    while (!deps.mesh.nodes().includes(r.name)) {
      if (died) {
        throw new ExitedEarlyError(lastLogLines(died) || '(nothing in its log)');
      }
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
    // closing stdin ends the watch and the session
    session?.end();
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
