// Re-adopting a QEMU that a previous (crashed) daemon started: it is not
// our child, so its exit is noticed by polling its pid; QMP is reconnected
// on its socket (QEMU accepts a new client once the old one's connection
// died with the daemon). The pid is only trusted while /proc shows the same
// process (its command line names the instance dir), never after reuse.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { VmExit, VmProcess } from './driver.js';
import { QemuStartError } from './errors.js';
import { QmpClient } from './qmp.js';

export interface ReattachOptions {
  pid: number;
  /** `<base>/<id>`: QMP is `<dir>/qmp`, and the process's argv must name the dir */
  instanceDir: string;
  signal?: AbortSignal;
  /** how often the pid is checked (default 500 ms) */
  pollMs?: number;
  /** QMP connect deadline (default 5 s) */
  qmpTimeoutMs?: number;
}

/** The process's argv when `pid` still runs the instance's program, else undefined. */
export function instanceArgv(pid: number, instanceDir: string): string[] | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return undefined;
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const dir = `${instanceDir.replace(/\/+$/, '')}/`;
    return argv.some((a) => a.includes(dir)) ? argv : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function stderrTail(instanceDir: string): Promise<string> {
  const text = await readFile(join(instanceDir, 'stderr'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.includes('QEMU waiting for connection'))
    .slice(-3)
    .join('\n');
}

/** Takes over a running QEMU; rejects with QemuStartError when it cannot. */
export async function reattachQemu(o: ReattachOptions): Promise<VmProcess> {
  const argv = instanceArgv(o.pid, o.instanceDir);
  if (!argv) throw new QemuStartError(`qemu (pid ${o.pid}) is not running any more`);
  const monitor = await QmpClient.connect({
    path: join(o.instanceDir, 'qmp'),
    timeoutMs: o.qmpTimeoutMs ?? 5000,
    ...(o.signal ? { signal: o.signal } : {}),
  }).catch((err: unknown) => {
    throw new QemuStartError(`unable to reconnect qmp: ${(err as Error).message}`);
  });
  let killing = false;
  const exited: Promise<VmExit> = (async () => {
    while (instanceArgv(o.pid, o.instanceDir)) await sleep(o.pollMs ?? 500);
    monitor.close();
    if (killing) return { expected: true, reason: 'killed' };
    const tail = await stderrTail(o.instanceDir);
    const how = `qemu (pid ${o.pid}, adopted after a daemon restart) exited; its exit status is unknown`;
    return { expected: false, reason: tail ? `${how}: ${tail}` : how };
  })();
  return {
    pid: o.pid,
    monitor,
    exited,
    argv,
    kill: async () => {
      killing = true;
      monitor.close();
      try {
        process.kill(o.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await exited;
    },
  };
}
