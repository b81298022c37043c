// Starting the daemon under test. By default the whole runner re-executes
// itself inside fresh network and mount namespaces (unshare -n -m), brings up
// lo, and mounts a tmpfs on the base directory, so the daemon can use the
// default /tmp/minimega (the expectations contain those paths) without
// meeting anybody else's daemon, bridges or files.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunnerClient } from './client.js';

export const ISOLATED_ENV = 'MM_MINITEST_ISOLATED';

/** dist/cli.js → the repository's root */
export function repoRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
}

/** dist/cli.js → repo root → apps/minimega/dist/main.js */
export function defaultMinimega(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return resolve(here, '../../../apps/minimega/dist/main.js');
}

export function canIsolate(): { ok: true } | { ok: false; why: string } {
  if (process.platform !== 'linux') return { ok: false, why: 'not Linux' };
  if (process.getuid?.() !== 0) return { ok: false, why: 'not running as root' };
  const r = spawnSync('unshare', ['-n', '-m', 'true'], { stdio: 'ignore' });
  if (r.error || r.status !== 0) return { ok: false, why: 'unshare -n -m does not work here' };
  return { ok: true };
}

/**
 * Re-run this process inside new namespaces; resolves with its exit code.
 * The child sees ISOLATED_ENV=1 and sets up lo and the tmpfs itself.
 */
export function reexecIsolated(argv: string[]): Promise<number> {
  return new Promise((resolvePromise) => {
    const child = spawn(
      'unshare',
      ['-n', '-m', '--propagation', 'private', process.execPath, ...argv],
      {
        stdio: 'inherit',
        env: { ...process.env, [ISOLATED_ENV]: '1' },
      },
    );
    child.on('exit', (code, signal) => resolvePromise(code ?? (signal ? 1 : 0)));
    child.on('error', () => resolvePromise(1));
  });
}

/** Inside the namespaces: lo up, a private tmpfs on `base`. */
export function setUpIsolation(base: string): void {
  const lo = spawnSync('ip', ['link', 'set', 'lo', 'up'], { stdio: 'inherit' });
  if (lo.status !== 0) throw new Error('ip link set lo up failed');
  mkdirSync(base, { recursive: true });
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'mode=0770', 'minitest', base], {
    stdio: 'inherit',
  });
  if (m.status !== 0) throw new Error(`mount tmpfs on ${base} failed`);
}

export interface StartedDaemon {
  socket: string;
  stop(): Promise<void>;
}

/** Start `command` (a shell command line) and wait for `<base>/minimega` to answer. */
export async function startDaemon(opts: {
  command: string;
  base: string;
  waitMs?: number;
  log?: (line: string) => void;
}): Promise<StartedDaemon> {
  const socket = join(opts.base, 'minimega');
  const child: ChildProcess = spawn('sh', ['-c', `exec ${opts.command}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: false,
  });
  let output = '';
  const keep = (d: Buffer) => {
    output += d.toString();
    if (output.length > 64 * 1024) output = output.slice(-64 * 1024);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  const deadline = Date.now() + (opts.waitMs ?? 30_000);
  for (;;) {
    if (exited) throw new Error(`daemon exited during startup:\n${output}`);
    if (existsSync(socket)) {
      try {
        (await RunnerClient.dial(socket)).close();
        break;
      } catch {
        // not listening yet
      }
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`daemon did not answer on ${socket}:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    socket,
    async stop() {
      if (exited) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(t);
    },
  };
}
