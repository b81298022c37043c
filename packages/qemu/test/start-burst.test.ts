// `vm start` of many VMs on the local host: the guests being started yield
// the CPU (VmProcess.background) from before the first `cont` until the last
// one answered, so each QEMU's main loop answers its `cont` ahead of the
// guests that started before it; guests already running are left alone, and
// every guest gets its priority back, also when a start fails. The burst's
// state files and records follow its answer.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { tempDir } from '#test-support';
import { createFakeDriver, createLocalVmHost, defaultVmConfig } from '../src/index.js';

async function setup() {
  const dir = await tempDir('mm-start-burst-');
  const driver = createFakeDriver();
  const host = createLocalVmHost({
    hostname: 'h1',
    drivers: { kvm: driver },
    baseDir: dir.path,
    filesDir: `${dir.path}/files`,
    vncHost: false,
  });
  return {
    host,
    driver,
    /** one log of every process's commands in the order they happened: `name:command` */
    log(): string[] {
      const out: string[] = [];
      for (const [id, p] of driver.processes) {
        const name = String.fromCharCode(97 + id);
        const push = p.commands.push.bind(p.commands);
        p.commands.push = (...c: string[]) => {
          out.push(...c.map((x) => `${name}:${x}`));
          return push(...c);
        };
      }
      return out;
    },
    async [Symbol.asyncDispose]() {
      await host.close();
      await dir[Symbol.asyncDispose]();
    },
  };
}

const config = () => ({ ...defaultVmConfig(), memory: 64 });

test('the guests of a start burst yield until every cont answered; a running guest is left alone', async () => {
  await using env = await setup();
  await env.host.launch({ namespace: 'n', type: 'kvm', names: ['a', 'b', 'c'], config: config() });
  await env.host.start({ namespace: 'n', targets: ['a'] });
  const log = env.log();
  await env.host.start({ namespace: 'n', targets: ['all'] });
  expect(log.filter((l) => l.endsWith(':background'))).toEqual(['b:background', 'c:background']);
  const lastCont = Math.max(log.indexOf('b:cont'), log.indexOf('c:cont'));
  const firstBackground = log.indexOf('b:background');
  expect(firstBackground).toBeGreaterThanOrEqual(0);
  expect(lastCont).toBeGreaterThan(firstBackground);
  expect(log.indexOf('c:background')).toBeLessThan(log.indexOf('b:cont'));
  // every guest of the burst back in the foreground, after the last cont
  for (const n of ['b', 'c']) expect(log.indexOf(`${n}:foreground`)).toBeGreaterThan(lastCont);
  // a, already running, was not sent cont again nor put in the background
  expect(log.filter((l) => l.startsWith('a:'))).not.toContain('a:cont');
  const states = (await env.host.list({ namespace: 'n' })).map((r) => r.state);
  expect(states).toEqual(['RUNNING', 'RUNNING', 'RUNNING']);
});

test('a failed start gives every guest of the burst its priority back and reports the failure', async () => {
  await using env = await setup();
  await env.host.launch({ namespace: 'n', type: 'kvm', names: ['a', 'b'], config: config() });
  const log = env.log();
  // a's QEMU refuses the cont; b still starts
  const monitor = env.driver.processes.get(0)!.monitor!;
  const execute = monitor.execute.bind(monitor);
  Object.assign(monitor, {
    execute: (c: string, args?: Record<string, unknown>) =>
      c === 'cont' ? Promise.reject(new Error('no cont today')) : execute(c, args),
  });
  await expect(env.host.start({ namespace: 'n', targets: ['a', 'b'] })).rejects.toThrow(
    'unable to start: no cont today',
  );
  expect(log).toContain('b:background');
  expect(log.indexOf('b:foreground')).toBeGreaterThan(log.indexOf('b:cont'));
  const rows = await env.host.list({ namespace: 'n' });
  expect(rows.map((r) => r.state)).toEqual(['ERROR', 'RUNNING']);
});

test('state files and records of a start burst are written after the last cont answered', async () => {
  await using env = await setup();
  await env.host.launch({ namespace: 'n', type: 'kvm', names: ['a', 'b'], config: config() });
  const [a, b] = env.host.vmsOf('n');
  await a!.settled();
  const onDisk = async () => ({
    state: await readFile(join(a!.instanceDir, 'state'), 'utf8').catch(() => 'none'),
    record: JSON.parse(await readFile(join(a!.instanceDir, 'vm.json'), 'utf8')).state,
  });
  // b's QEMU answers its cont late; a's answered long before
  let seenMeanwhile: unknown;
  const monitor = env.driver.processes.get(b!.id)!.monitor!;
  const execute = monitor.execute.bind(monitor);
  Object.assign(monitor, {
    execute: async (c: string, args?: Record<string, unknown>) => {
      if (c === 'cont') {
        await new Promise((r) => setTimeout(r, 100));
        seenMeanwhile = { inMemory: a!.state, ...(await onDisk()) };
      }
      return execute(c, args);
    },
  });
  await env.host.start({ namespace: 'n', targets: ['all'] });
  // (a launched VM has no state file yet: BUILDING is written by nobody)
  expect(seenMeanwhile).toEqual({ inMemory: 'RUNNING', state: 'none', record: 'BUILDING' });
  await a!.settled();
  await until(async () => (await onDisk()).record === 'RUNNING');
  expect(await onDisk()).toEqual({ state: 'RUNNING', record: 'RUNNING' });
});

async function until(cond: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + 10_000;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}
