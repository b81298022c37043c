// Daemon mode (daemon.md §2 step 7): base dir, pid file, socket, modules,
// console, signals, and the orderly teardown.
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { stopPrivateOvsIn } from '@mm/ovs';
import type { CommandModule, DaemonFlags } from '../context.js';
import type { ParsedFlags } from '../flags/parse.js';
import { daemonServing } from '../heap.js';
import { createLogger, type DaemonLogger } from '../log/logger.js';
import { findLeftovers, leftoverNotice } from '../recovery/leftovers.js';
import { recoverPrevious } from '../recovery/recover.js';
import { BANNER } from '../version.js';
import { startConsole } from './console.js';
import { createDaemonCore, type DaemonCore } from './core.js';
import { BadFlagError, toDaemonFlags } from './flags.js';
import { limitsOf } from './limits.js';
import { killDescendants, killManagedVms } from './processes.js';
import { type SocketServer, startSocketServer } from './server.js';
import { AlreadyRunningError, claimSocketPath } from './socket-check.js';

export interface RunningDaemon {
  core: DaemonCore;
  server: SocketServer;
  socketPath: string;
  pidFile: string;
  /** shut down (as `quit`) and wait until the socket and pid file are gone */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
  /** resolves after teardown finished */
  readonly done: Promise<string>;
}

export interface StartOptions {
  flags: DaemonFlags;
  log?: DaemonLogger;
  hostname?: string;
  modules?: CommandModule[];
  /** start-up notices for the person starting the daemon (VMs left by a crash) */
  notice?: (msg: string) => void;
  /** called once when shutdown starts */
  onStop?: (reason: string) => void;
}

/** Stops an embedded Open vSwitch a dead daemon left in `dir`, logging what went. */
async function stopLeftoverOvs(dir: string, log: DaemonLogger): Promise<void> {
  if (!existsSync(dir)) return;
  try {
    const stopped = await stopPrivateOvsIn(dir);
    if (stopped.length > 0) {
      log.warn(
        `stopped the embedded Open vSwitch a previous daemon left in ${dir}: ${stopped.join(', ')}`,
      );
    }
  } catch (e) {
    log.error(`could not stop the embedded Open vSwitch left in ${dir}: ${(e as Error).message}`);
  }
}

/** Start a daemon in this process (the CLI and the tests use it). */
export async function startDaemon(opts: StartOptions): Promise<RunningDaemon> {
  const flags = opts.flags;
  const log =
    opts.log ??
    createLogger({ level: flags.level, stderr: flags.verbose, file: flags.logfile || undefined });
  const base = flags.base;
  const socketPath = join(base, 'minimega');
  const pidFile = join(base, 'minimega.pid');
  await mkdir(base, { recursive: true, mode: 0o770 });
  await claimSocketPath(socketPath, { force: flags.force, warn: (m) => log.warn(m) });
  await writeFile(pidFile, `${process.pid}\n`);
  if (!flags.recover) {
    const left = await findLeftovers(base);
    const notice = leftoverNotice(base, left);
    if (notice) {
      log.warn(notice);
      opts.notice?.(notice);
    } else if (!flags.force) {
      // no VM of a dead daemon needs its embedded OVS (-recover reuses it,
      // -nuke stops it): stop it rather than leave it running forever
      await stopLeftoverOvs(join(base, 'ovs'), log);
    }
  }
  let core: DaemonCore;
  let server: SocketServer;
  try {
    core = await createDaemonCore({
      flags,
      log,
      ...(opts.hostname ? { hostname: opts.hostname } : {}),
      ...(opts.modules ? { modules: opts.modules } : {}),
      ...(opts.onStop ? { onStop: opts.onStop } : {}),
    });
    if (flags.recover) {
      log.info('attempting to recover any vms from previous minimega instances');
      const summary = await recoverPrevious(core);
      log.warn(summary.text);
      opts.notice?.(summary.text);
    }
    server = await startSocketServer(core, socketPath);
  } catch (e) {
    await rm(pidFile, { force: true });
    throw e;
  }
  const done = core.stopped.then(async (reason) => {
    await server.close();
    await rm(pidFile, { force: true });
    return reason;
  });
  const close = async () => {
    await core.shutdown('closed');
    await done;
  };
  return { core, server, socketPath, pidFile, close, [Symbol.asyncDispose]: close, done };
}

/** `minimega` with no client flag: run the daemon until it is told to stop. */
export async function runDaemonMain(parsed: ParsedFlags): Promise<number> {
  let flags: DaemonFlags;
  try {
    flags = toDaemonFlags(parsed);
  } catch (e) {
    if (e instanceof BadFlagError) {
      process.stderr.write(`minimega: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const log = createLogger({ level: flags.level, stderr: flags.verbose });
  try {
    if (flags.logfile) log.setFile(flags.logfile);
  } catch (e) {
    process.stderr.write(
      `minimega: cannot open -logfile ${flags.logfile}: ${(e as Error).message}\n`,
    );
    return 1;
  }
  process.stdout.write(BANNER);
  if (process.getuid && process.getuid() !== 0) log.warn('not running as root');
  const host = osHostname();
  if (host === 'all') log.warn('hostname `all` will cause confusion with the `all` target');

  // whatever shutdown is doing, the process is gone -shutdown-timeout (plus
  // a margin for the hooks' own last second) after it starts
  const { shutdownMs } = limitsOf(flags);
  let deadline: NodeJS.Timeout | undefined;
  const armDeadline = () => {
    deadline ??= setTimeout(() => {
      // VMs adopted with -recover first: they are not descendants
      const n = killManagedVms(daemon?.core.services.vmHost) + killDescendants();
      log.error(
        `shutdown did not finish within ${shutdownMs / 1000} s; killed ${n} processes, exiting`,
      );
      log.close();
      process.exit(1);
    }, shutdownMs + 3000);
  };

  let daemon: RunningDaemon | undefined;
  try {
    daemon = await startDaemon({
      flags,
      log,
      hostname: host,
      notice: (m) => process.stderr.write(`minimega: ${m}\n`),
      onStop: armDeadline,
    });
  } catch (e) {
    if (e instanceof AlreadyRunningError) {
      log.error(e.message);
      process.stderr.write(`minimega: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`minimega: ${(e as Error).message}\n`);
    return 1;
  }
  const onSignal = (sig: string) => {
    if (daemon.core.stopping) return; // shutdown runs once; later signals wait for it
    log.warn(`caught ${sig}, shutting down`);
    void daemon.core.shutdown(`caught ${sig}`);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  // a client vanishing mid-write must not kill the daemon
  process.on('SIGPIPE', () => {});
  // a bug in one handler must not take every VM's daemon down: log it and go on
  process.on('uncaughtException', (e) =>
    log.error(`internal error (continuing): ${e.stack ?? e.message}`),
  );
  process.on('unhandledRejection', (e) =>
    log.error(
      `internal error (continuing): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
    ),
  );

  if (!flags.nostdin) startConsole(daemon.core);
  daemonServing();
  const reason = await daemon.done;
  clearTimeout(deadline);
  // anything the daemon started or adopted and its modules did not stop goes with it
  const n = killManagedVms(daemon.core.services.vmHost) + killDescendants();
  if (n > 0) log.warn(`killed ${n} processes left running at shutdown`);
  log.info(`stopped: ${reason}`);
  log.close();
  return 0;
}
