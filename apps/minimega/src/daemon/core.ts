// The daemon object every command module receives (context.ts), plus what the
// front ends (socket, console, `read`) share: running a command line and
// completing one.
import { hostname as osHostname } from 'node:os';
import { type Batch, type CallEnv, Cli, type Command } from '@mm/cli-grammar';
import { createNamespaceManager, DEFAULT_NAMESPACE, type NamespaceManager } from '@mm/namespace';
import { commandModules } from '../commands/index.js';
import { localModules } from '../commands/local/index.js';
import type {
  ClearAllContext,
  CommandModule,
  Daemon,
  DaemonFlags,
  DaemonServices,
} from '../context.js';
import type { DaemonLogger } from '../log/logger.js';
import { completeLine } from './completer.js';
import { limitsOf } from './limits.js';
import { createPreprocessor } from './preprocess.js';

export interface RunOptions {
  /** expand aliases first (prompt and socket input only, minicli.md §5) */
  aliases: boolean;
}

export interface DaemonCore extends Daemon {
  readonly log: DaemonLogger;
  /** compile and run one line; compile errors become one error batch; blank → no batches */
  execute(line: string, env: CallEnv, opts: RunOptions): AsyncGenerator<Batch>;
  /** whole-line completion candidates (minicli.md §9, daemon-level completer) */
  complete(line: string): Promise<string[]>;
  /** run every `clear all` hook in registration order; returns the errors */
  runClearAll(ctx?: ClearAllContext): Promise<string[]>;
  /** resolves with the reason once shutdown has finished */
  readonly stopped: Promise<string>;
  readonly stopping: boolean;
}

export interface CoreOptions {
  flags: DaemonFlags;
  log: DaemonLogger;
  hostname?: string;
  /** modules to register after the local commands (default: commands/index.ts) */
  modules?: CommandModule[];
  /** called once when shutdown starts (the process front end arms its deadline) */
  onStop?: (reason: string) => void;
}

/**
 * Runs shutdown hooks in order, each until it finishes or the shared
 * deadline passes (then at least a second each): one stuck hook (a launch
 * that will not stop) must not keep the daemon, or the hooks after it, alive.
 */
async function runHooks(
  hooks: readonly { name: string; fn: () => void | Promise<void> }[],
  deadline: number,
  log: DaemonLogger,
): Promise<void> {
  for (const h of hooks) {
    let timer: NodeJS.Timeout | undefined;
    const wait = Math.max(deadline - Date.now(), 1000);
    const late = new Promise<'late'>((r) => {
      timer = setTimeout(() => r('late'), wait);
    });
    try {
      const r = await Promise.race([Promise.resolve().then(h.fn), late]);
      if (r === 'late') log.error(`shutdown ${h.name}: still running after ${wait} ms; going on`);
    } catch (e) {
      log.error(`shutdown ${h.name}: ${(e as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** An error response from this host. */
export function errorBatch(host: string, error: string): Batch {
  return [{ host, response: '', header: null, tabular: null, error }];
}

/** A command any of whose levels is `read` is not recorded (daemon.md §3). */
export function markNoRecordIfRead(cmd: Command): void {
  let any = false;
  for (let c: Command | undefined = cmd; c; c = c.subcommand) {
    if (/^read(\s|$)/.test(c.original.trimStart())) any = true;
  }
  if (!any) return;
  for (let c: Command | undefined = cmd; c; c = c.subcommand) c.record = false;
}

export async function createDaemonCore(opts: CoreOptions): Promise<DaemonCore> {
  const host = opts.hostname ?? osHostname();
  const limits = limitsOf(opts.flags);
  const cli = new Cli({
    hostname: host,
    warn: (m) => opts.log.warn(m),
    historyBytes: limits.historyBytes,
    historyLineBytes: limits.historyLineBytes,
  });
  cli.registerBuiltins();
  const namespaces: NamespaceManager = createNamespaceManager({ hostname: host });
  const services: DaemonServices = {};
  const clearAll: { name: string; fn: (ctx: ClearAllContext) => void | Promise<void> }[] = [];
  const shutdownHooks: { name: string; fn: () => void | Promise<void> }[] = [];
  const log = opts.log;

  let stopping = false;
  let resolveStopped!: (reason: string) => void;
  const stopped = new Promise<string>((r) => {
    resolveStopped = r;
  });
  let shutdownRun: Promise<void> | undefined;
  let teardownRun: Promise<void> | undefined;

  async function* execute(line: string, env: CallEnv, ro: RunOptions): AsyncGenerator<Batch> {
    let cmd: Command | null;
    try {
      const text = ro.aliases ? cli.expandAliases(line) : line;
      cmd = cli.compile(text);
    } catch (e) {
      yield errorBatch(host, (e as Error).message);
      return;
    }
    if (!cmd) return;
    markNoRecordIfRead(cmd);
    try {
      yield* cli.process(cmd, env);
    } catch (e) {
      // a handler that throws is a bug in that handler, never a reason to stop
      log.error(`command ${JSON.stringify(line)} failed: ${(e as Error).message}`);
      yield errorBatch(host, (e as Error).message);
    }
  }

  const core: DaemonCore = {
    services,
    hostname: host,
    flags: opts.flags,
    cli,
    log,
    namespaces,
    onClearAll(name, fn) {
      clearAll.push({ name, fn });
    },
    onShutdown(name, fn) {
      shutdownHooks.push({ name, fn });
    },
    teardown(reason: string) {
      teardownRun ??= (async () => {
        log.info(`tearing down: ${reason}`);
        await runHooks([...shutdownHooks].reverse(), Date.now() + limits.shutdownMs, log);
      })();
      return teardownRun;
    },
    shutdown(reason: string) {
      if (shutdownRun) return shutdownRun;
      stopping = true;
      shutdownRun = (async () => {
        log.info(`shutting down: ${reason}`);
        opts.onStop?.(reason);
        await core.teardown(reason);
        resolveStopped(reason);
      })();
      return shutdownRun;
    },
    execute,
    async runClearAll(ctx = { source: '' }) {
      const errors: string[] = [];
      for (const h of clearAll) {
        try {
          await h.fn(ctx);
        } catch (e) {
          errors.push(`${h.name}: ${(e as Error).message}`);
        }
      }
      return errors;
    },
    complete: (line) => completeLine(core, line),
    stopped,
    get stopping() {
      return stopping;
    },
  };
  cli.preprocessor = createPreprocessor(core);
  for (const m of localModules) await m(core);
  for (const m of opts.modules ?? commandModules) await m(core);
  // after registration, so modules' namespace listeners see the default one created
  await namespaces.activate(DEFAULT_NAMESPACE);
  return core;
}
