// `quit` and SIGTERM stop the daemon, and what it started, within seconds
// whatever it is doing (issue 14 §3): commands in flight are cancelled, a
// stuck shutdown step is abandoned at -shutdown-timeout, and no child the
// daemon started outlives it.
import { afterEach, describe, expect, it } from 'vitest';
import { MinimegaClient } from '../src/client/connection.js';
import type { CommandModule } from '../src/context.js';
import { descendants } from '../src/daemon/processes.js';
import { daemonProcess, inProcessDaemon } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A daemon process busy with a shell command that never ends and a background job. */
async function busyDaemon() {
  const d = await daemonProcess();
  cleanups.push(() => d[Symbol.asyncDispose]());
  const pid = d.proc.pid as number;
  const busy = await MinimegaClient.dial(d.socket);
  cleanups.push(() => busy.close());
  const pending = busy.runAll('shell sleep 1000').catch((e: unknown) => e);
  const c = await MinimegaClient.dial(d.socket);
  cleanups.push(() => c.close());
  await c.runAll('background sleep 999');
  await until(() => descendants(pid).length >= 2, 15_000);
  return { d, pid, c, pending, children: descendants(pid) };
}

describe('stopping the daemon', () => {
  it('SIGTERM during a running command stops the daemon and its children within seconds', async () => {
    const { d, children, pending } = await busyDaemon();
    const t0 = Date.now();
    d.proc.kill('SIGTERM');
    await d.proc;
    expect(Date.now() - t0).toBeLessThan(8_000);
    await pending;
    await until(() => children.every((p) => !alive(p)), 3_000);
  });

  it('quit during a running command does the same', async () => {
    const { d, c, children } = await busyDaemon();
    const t0 = Date.now();
    await c.runAll('quit').catch(() => []);
    await d.proc;
    expect(Date.now() - t0).toBeLessThan(8_000);
    await until(() => children.every((p) => !alive(p)), 3_000);
  });

  it('a shutdown step that never finishes is abandoned at -shutdown-timeout', async () => {
    const stuck: CommandModule = (daemon) => {
      daemon.onShutdown('stuck', () => new Promise<void>(() => {}));
    };
    let ran = false;
    const after: CommandModule = (daemon) => {
      // registered first, so it runs after the stuck one
      daemon.onShutdown('after', () => {
        ran = true;
      });
    };
    const d = await inProcessDaemon([after, stuck], { 'shutdown-timeout': 1 });
    const t0 = Date.now();
    await d.close();
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(ran).toBe(true);
    expect(d.lines.join('\n')).toMatch(/shutdown stuck: still running after \d+ ms; going on/);
  });
});
