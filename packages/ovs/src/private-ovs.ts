// A private Open vSwitch (ovsdb-server + ovs-vswitchd) with its own rundir,
// for tests, the demo and the daemon's embedded default. `ovs-vsctl` finds it
// through OVS_RUNDIR (returned in `env`).
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { OvsCommandError, OvsStartError } from './errors.js';
import { createExecRunner, type Runner } from './runner.js';

export interface PrivateOvsOptions {
  /** rundir, dbdir and logdir (created if missing; a stale instance there is stopped) */
  dir: string;
  /** aborting stops the instance */
  signal?: AbortSignal;
  /** run the daemons inside this network namespace (its devices live there) */
  netns?: string;
  /** OVS schema (default: the packaged vswitch.ovsschema) */
  schema?: string;
}

export interface PrivateOvs {
  readonly rundir: string;
  /** OVS_RUNDIR/OVS_DBDIR/OVS_LOGDIR for ovs-vsctl and friends */
  readonly env: Record<string, string>;
  readonly netns: string | undefined;
  readonly pids: { ovsdb: number; vswitchd: number };
  /** stops both daemons, removing the datapath's devices (bridges); idempotent */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const SCHEMAS = [
  '/usr/share/openvswitch/vswitch.ovsschema',
  '/usr/local/share/openvswitch/vswitch.ovsschema',
];
/** sun_path is 108 bytes; the longest socket is `<dir>/ovs-vswitchd.<pid>.ctl`. */
const MAX_SOCKET_DIR = 108 - '/ovs-vswitchd.4194304.ctl'.length - 1;

/** Whether pid runs (a zombie counts as gone: detached daemons are reaped by init, slowly). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX] /s.test(stat);
  } catch {
    return true;
  }
}

async function readPid(file: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(file, 'utf8')).trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

async function processName(pid: number): Promise<string> {
  try {
    return (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
  } catch {
    return '';
  }
}

/** Waits for pid to exit, escalating to TERM then KILL. */
async function reap(pid: number, graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await sleep(20);
  if (alive(pid)) process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && alive(pid); i++) await sleep(20);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

/**
 * Stops a daemon: ovs-vswitchd is asked over its control socket (`exit
 * --cleanup` removes the datapath's devices: bridges, ovs-netdev); for
 * ovsdb-server SIGTERM is enough (its ctl `exit` lingers ~2 s).
 */
async function stopDaemon(
  run: Runner,
  dir: string,
  prog: string,
  pid: number,
  exitArgs: string[],
): Promise<void> {
  if (!alive(pid)) return;
  if (prog === 'ovs-vswitchd') {
    await run(
      ['ovs-appctl', '--timeout=10', '-t', join(dir, `${prog}.${pid}.ctl`), 'exit', ...exitArgs],
      { allowFailure: true },
    ).catch(() => undefined);
    await reap(pid, 10_000);
    return;
  }
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  await reap(pid, 3_000);
}

/** Stops an instance left in `dir` by a crashed process (only if the pid is really that program). */
async function stopStale(run: Runner, dir: string): Promise<void> {
  for (const [prog, args] of [
    ['ovs-vswitchd', ['--cleanup']],
    ['ovsdb-server', []],
  ] as const) {
    const pid = await readPid(join(dir, `${prog}.pid`));
    if (pid && alive(pid) && (await processName(pid)).startsWith(prog.slice(0, 15))) {
      await stopDaemon(run, dir, prog, pid, [...args]);
    }
  }
}

/**
 * Takes over a private OVS a crashed process left running in `dir`
 * (`-recover`: its bridges and ports must survive). Undefined when none runs
 * there; close() stops it as startPrivateOvs's would.
 */
export async function adoptPrivateOvs(opts: { dir: string }): Promise<PrivateOvs | undefined> {
  const dir = resolve(opts.dir);
  const pids: number[] = [];
  for (const prog of ['ovsdb-server', 'ovs-vswitchd']) {
    const pid = await readPid(join(dir, `${prog}.pid`));
    if (!pid || !alive(pid) || !(await processName(pid)).startsWith(prog.slice(0, 15)))
      return undefined;
    pids.push(pid);
  }
  if (!existsSync(join(dir, 'db.sock'))) return undefined;
  const [ovsdb, vswitchd] = pids as [number, number];
  const env = { OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir };
  const run = createExecRunner({ env });
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      await stopDaemon(run, dir, 'ovs-vswitchd', vswitchd, ['--cleanup']);
      await stopDaemon(run, dir, 'ovsdb-server', ovsdb, []);
      await rm(join(dir, 'db.sock'), { force: true });
    })();
    return closed;
  };
  return {
    rundir: dir,
    env,
    netns: undefined,
    pids: { ovsdb, vswitchd },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * Stops a private OVS left running in `dir` by a process that is gone (a
 * crashed daemon): ovs-vswitchd with `exit --cleanup` (its bridges and their
 * devices go), then ovsdb-server. Only pids that really are those programs
 * are signalled. Returns the programs stopped.
 */
export async function stopPrivateOvsIn(dir: string): Promise<string[]> {
  const abs = resolve(dir);
  const run = createExecRunner({ env: { OVS_RUNDIR: abs, OVS_DBDIR: abs, OVS_LOGDIR: abs } });
  const stopped: string[] = [];
  for (const prog of ['ovs-vswitchd', 'ovsdb-server']) {
    const pid = await readPid(join(abs, `${prog}.pid`));
    if (pid && alive(pid) && (await processName(pid)).startsWith(prog.slice(0, 15))) {
      await stopDaemon(run, abs, prog, pid, prog === 'ovs-vswitchd' ? ['--cleanup'] : []);
      stopped.push(`${prog} (pid ${pid})`);
    }
  }
  return stopped;
}

export async function startPrivateOvs(opts: PrivateOvsOptions): Promise<PrivateOvs> {
  const dir = resolve(opts.dir);
  if (dir.length > MAX_SOCKET_DIR) {
    throw new OvsStartError(
      `OVS rundir path too long for unix sockets (max ${MAX_SOCKET_DIR}): ${dir}`,
    );
  }
  const schema = opts.schema ?? SCHEMAS.find((s) => existsSync(s));
  if (!schema)
    throw new OvsStartError('vswitch.ovsschema not found: is openvswitch-switch installed?');
  const env = { OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir };
  const run = createExecRunner({ env });
  const inNs = (argv: string[]) =>
    opts.netns ? ['ip', 'netns', 'exec', opts.netns, ...argv] : argv;

  await mkdir(dir, { recursive: true });
  await stopStale(run, dir);
  const db = join(dir, 'conf.db');
  await rm(db, { force: true });

  let ovsdb: number | undefined;
  let vswitchd: number | undefined;
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (vswitchd) await stopDaemon(run, dir, 'ovs-vswitchd', vswitchd, ['--cleanup']);
      if (ovsdb) await stopDaemon(run, dir, 'ovsdb-server', ovsdb, []);
      await rm(join(dir, 'db.sock'), { force: true });
    })();
    return closed;
  };
  const onAbort = () => void close();

  try {
    opts.signal?.throwIfAborted();
    await run(['ovsdb-tool', 'create', db, schema]);
    await run(
      inNs([
        'ovsdb-server',
        db,
        `--remote=punix:${join(dir, 'db.sock')}`,
        `--pidfile=${join(dir, 'ovsdb-server.pid')}`,
        `--log-file=${join(dir, 'ovsdb-server.log')}`,
        '--no-chdir',
        '--detach',
      ]),
    );
    ovsdb = await readPid(join(dir, 'ovsdb-server.pid'));
    await run(['ovs-vsctl', '--no-wait', 'init']);
    await run(
      inNs([
        'ovs-vswitchd',
        `unix:${join(dir, 'db.sock')}`,
        `--pidfile=${join(dir, 'ovs-vswitchd.pid')}`,
        `--log-file=${join(dir, 'ovs-vswitchd.log')}`,
        '--no-chdir',
        '--detach',
      ]),
    );
    vswitchd = await readPid(join(dir, 'ovs-vswitchd.pid'));
    if (!ovsdb || !vswitchd) throw new OvsStartError(`OVS did not write its pid files in ${dir}`);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    opts.signal?.throwIfAborted();
  } catch (err) {
    await close();
    if (err instanceof OvsCommandError) {
      throw new OvsStartError(`starting a private OVS in ${dir} failed: ${err.message}`, {
        cause: err,
      });
    }
    throw err;
  }

  return {
    rundir: dir,
    env,
    netns: opts.netns,
    pids: { ovsdb, vswitchd },
    close,
    [Symbol.asyncDispose]: close,
  };
}
