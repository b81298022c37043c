// Test helpers: unique base dirs, in-process daemons, daemon processes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { freePort } from '#test-support';
import { MinimegaClient } from '../src/client/connection.js';
import type { CommandModule, DaemonFlags } from '../src/context.js';
import { defaultDaemonFlags } from '../src/daemon/flags.js';
import { type RunningDaemon, startDaemon } from '../src/daemon/start.js';
import { createLogger } from '../src/log/logger.js';

export const appDir = fileURLToPath(new URL('..', import.meta.url));
export const mainTs = join(appDir, 'src/main.ts');

export async function tempBase(): Promise<{
  path: string;
  [Symbol.asyncDispose](): Promise<void>;
}> {
  const path = await mkdtemp(join(tmpdir(), `mm-core-t${process.pid}-`));
  return {
    path,
    [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }),
  };
}

/** An in-process daemon on a fresh base; `modules` replaces commands/index.ts. */
export async function inProcessDaemon(
  modules: CommandModule[] = [],
  flags: Partial<DaemonFlags> = {},
): Promise<RunningDaemon & { base: string; lines: string[] }> {
  const base = await mkdtemp(join(tmpdir(), `mm-core-t${process.pid}-`));
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', stderr: true, writeStderr: (l) => lines.push(l) });
  const d = await startDaemon({
    flags: defaultDaemonFlags({ base, level: 'debug', ...flags }),
    log,
    hostname: 'testhost',
    modules,
  });
  const close = async () => {
    await d.close();
    await rm(base, { recursive: true, force: true });
  };
  return { ...d, base, lines, close, [Symbol.asyncDispose]: close };
}

/**
 * An in-process daemon on a fresh base whose mesh listens on a free loopback
 * port, discovery kept to the loopback broadcast and a per-process context,
 * so daemons of one test link only to each other (over real TCP). `close()`
 * also removes the base.
 */
export async function loopbackMeshDaemon(
  hostname: string,
  modules: CommandModule[],
  flags: Partial<DaemonFlags> = {},
): Promise<RunningDaemon & { base: string; port: number }> {
  const base = await mkdtemp(join(tmpdir(), `mm-mesh-t${process.pid}-`));
  const port = await freePort();
  const d = await startDaemon({
    flags: defaultDaemonFlags({
      base,
      port,
      broadcast: '127.255.255.255',
      context: `t${process.pid}`,
      ...flags,
    }),
    log: createLogger({ level: 'fatal', stderr: false }),
    hostname,
    modules,
  });
  const close = async () => {
    await d.close();
    await rm(base, { recursive: true, force: true });
  };
  return { ...d, base, port, close, [Symbol.asyncDispose]: close };
}

/** An in-process daemon on an existing base (left in place on close). */
export async function inProcessDaemonOn(
  base: string,
  flags: Partial<DaemonFlags> = {},
): Promise<RunningDaemon & { lines: string[] }> {
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', stderr: true, writeStderr: (l) => lines.push(l) });
  const d = await startDaemon({
    flags: defaultDaemonFlags({ base, level: 'debug', ...flags }),
    log,
    hostname: 'testhost',
    modules: [],
  });
  return { ...d, lines };
}

/** Run `minimega` (sources, through tsx) with these arguments. */
export function minimega(args: string[], opts: { input?: string } = {}): ResultPromise {
  return execa('node', ['--conditions=source', '--import', 'tsx', mainTs, ...args], {
    cwd: appDir,
    reject: false,
    ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' }),
  });
}

export interface DaemonProcess {
  base: string;
  socket: string;
  proc: ResultPromise;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A real daemon process on a fresh base, ready when its socket answers. */
export async function daemonProcess(
  extra: string[] = [],
  opts: { base?: string } = {},
): Promise<DaemonProcess> {
  const base = opts.base ?? (await mkdtemp(join(tmpdir(), `mm-core-p${process.pid}-`)));
  const proc = execa(
    'node',
    ['--conditions=source', '--import', 'tsx', mainTs, '-base', base, '-nostdin', ...extra],
    {
      cwd: appDir,
      reject: false,
      stdin: 'ignore',
    },
  );
  const socket = join(base, 'minimega');
  try {
    const c = await MinimegaClient.dial(socket, { waitMs: 20_000 });
    await c.close();
  } catch (e) {
    proc.kill('SIGKILL');
    const r = await proc;
    throw new Error(`daemon did not start: ${(e as Error).message}\n${r.stderr}`);
  }
  return {
    base,
    socket,
    proc,
    async [Symbol.asyncDispose]() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await proc;
        clearTimeout(t);
      }
      await rm(base, { recursive: true, force: true });
    },
  };
}
