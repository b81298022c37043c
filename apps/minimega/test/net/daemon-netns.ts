// A real daemon process in its own network namespace (its embedded OVS runs
// there too), driven over its control socket; everything goes on dispose:
// SIGTERM first (the daemon kills its guests and tears down OVS), then by pid.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { MinimegaClient } from '../../src/client/connection.js';
import { ownProcesses, uniqueName } from './real-support.js';

const appDir = fileURLToPath(new URL('../..', import.meta.url));

export interface NetnsDaemon {
  netns: string;
  base: string;
  proc: ResultPromise;
  client: MinimegaClient;
  /** runs a line; throws with the errors if any */
  run(line: string): Promise<string>;
  /** the Response fields of a line (errors as `E: ...`) */
  response(line: string): Promise<string>;
  /** a command inside the namespace (never throws; look at exitCode) */
  inNs(...argv: string[]): ReturnType<typeof execa>;
  /** OVS_RUNDIR of the embedded OVS */
  ovsEnv: Record<string, string>;
  /** `quit` and wait for the exit code */
  quit(): Promise<number | undefined>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts the daemon (from sources) in `netns` on `base`. */
function spawnDaemon(netns: string, base: string, extra: string[]): ResultPromise {
  return execa(
    'ip',
    [
      'netns',
      'exec',
      netns,
      'node',
      '--conditions=source',
      '--import',
      'tsx',
      join(appDir, 'src/main.ts'),
      '-base',
      base,
      '-nostdin',
      '-accel',
      'tcg',
      '-port',
      String(22000 + (process.pid % 20000)),
      ...extra,
    ],
    { cwd: appDir, reject: false, stdin: 'ignore', env: { OVS_RUNDIR: join(base, 'no-ovs-here') } },
  );
}

/** A line's rendered output; throws with the errors if any. */
function lineRunner(client: MinimegaClient): (line: string) => Promise<string> {
  return async (line) => {
    const replies = await client.runAll(line);
    const errors = replies
      .flatMap((r) => r.Resp ?? [])
      .map((r) => r.Error)
      .filter((e) => e !== '');
    if (errors.length > 0) throw new Error(`${line}: ${errors.join('; ')}`);
    return replies.map((r) => r.Rendered).join('');
  };
}

export async function daemonInNetns(prefix: string, extra: string[] = []): Promise<NetnsDaemon> {
  const netns = uniqueName(prefix);
  await execa('ip', ['netns', 'add', netns]);
  await execa('ip', ['netns', 'exec', netns, 'ip', 'link', 'set', 'lo', 'up']);
  const base = `/tmp/mm-net-d-${process.pid}-${netns}`;
  const proc = spawnDaemon(netns, base, extra);
  const dispose = async () => {
    if (proc.exitCode === null) {
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await proc;
      clearTimeout(t);
    }
    for (const pid of ownProcesses(base)) process.kill(pid, 'SIGKILL');
    await execa('ip', ['netns', 'del', netns], { reject: false });
    await execa('rm', ['-rf', base]);
  };
  let client: MinimegaClient;
  try {
    client = await MinimegaClient.dial(join(base, 'minimega'), { waitMs: 30_000 });
  } catch (err) {
    await dispose();
    throw err;
  }
  return {
    netns,
    base,
    proc,
    client,
    run: lineRunner(client),
    async response(line) {
      const replies = await client.runAll(line);
      return replies
        .flatMap((r) => r.Resp ?? [])
        .map((r) => (r.Error ? `E: ${r.Error}` : r.Response))
        .join('');
    },
    inNs: (...argv) => execa('ip', ['netns', 'exec', netns, ...argv], { reject: false }),
    ovsEnv: { OVS_RUNDIR: join(base, 'ovs') },
    async quit() {
      await client.runAll('quit').catch(() => undefined);
      await client.close().catch(() => undefined);
      return (await proc).exitCode;
    },
    async [Symbol.asyncDispose]() {
      await client.close().catch(() => undefined);
      await dispose();
    },
  };
}

/**
 * A second daemon on a crashed one's base and network namespace (after a
 * kill -9 of `d.proc`, e.g. with `-recover`); `d`'s dispose still cleans up.
 */
export async function restartInNetns(
  d: NetnsDaemon,
  extra: string[],
): Promise<{ proc: ResultPromise; c: MinimegaClient; run(line: string): Promise<string> }> {
  const proc = spawnDaemon(d.netns, d.base, extra);
  const c = await MinimegaClient.dial(join(d.base, 'minimega'), { waitMs: 60_000 });
  return { proc, c, run: lineRunner(c) };
}

/** Pings from the network namespace of process `pid` (a container) until one reply or `tries` attempts (2 s each). */
export async function reachFromPid(pid: string, ip: string, tries: number): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    const r = await execa(
      'nsenter',
      ['-t', pid, '-n', 'busybox', 'ping', '-c', '1', '-W', '2', ip],
      {
        reject: false,
      },
    );
    if (r.exitCode === 0) return true;
  }
  return false;
}

/** Pings from inside a namespace until one reply or `tries` attempts (2 s each). */
export async function reach(d: NetnsDaemon, ip: string, tries: number): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    const r = await d.inNs('busybox', 'ping', '-c', '1', '-W', '2', ip);
    if (r.exitCode === 0) return true;
  }
  return false;
}
