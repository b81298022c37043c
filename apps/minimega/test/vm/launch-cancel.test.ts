// Long launches stay under the user's control (issue 14 §3): a launch stops
// when its client goes away or on `vm kill`, and `vm kill` / `vm flush`
// answer at 1,000 VMs. Fake QEMU that is slow to start (it waits for its
// signal), over the real control socket.
import { createConnection } from 'node:net';
import { cpus } from 'node:os';
import { createFakeDriver, createSlowStartDriver, type VmDriver } from '@mm/qemu';
import { afterEach, describe, expect, test } from 'vitest';
import { MinimegaClient } from '../../src/client/connection.js';
import { namespaceModule } from '../../src/commands/namespace/index.js';
import { createVmModule } from '../../src/commands/vm/index.js';
import type { WireReply } from '../../src/protocol/wire.js';
import { inProcessDaemon } from '../helpers.js';

/** the local host's launch parallelism (local-host.ts: 2 per CPU, at least 4) */
const PARALLEL = Math.max(4, 2 * cpus().length);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function daemon(driver: VmDriver) {
  const d = await inProcessDaemon([createVmModule({ driver: () => driver }), namespaceModule]);
  cleanups.push(() => d.close());
  return d;
}

async function client(socket: string) {
  const c = await MinimegaClient.dial(socket);
  cleanups.push(() => c.close());
  return c;
}

const errors = (rs: WireReply[]) =>
  rs
    .flatMap((r) => r.Resp ?? [])
    .map((r) => r.Error)
    .filter(Boolean);

async function until(cond: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `vm info` state column counts */
async function states(c: MinimegaClient): Promise<Record<string, number>> {
  const [r] = await c.runAll('.columns state .json true vm info');
  const out: Record<string, number> = {};
  for (const resp of r?.Resp ?? []) {
    for (const row of resp.Tabular ?? []) out[row[0]!] = (out[row[0]!] ?? 0) + 1;
  }
  return out;
}

describe('launch cancellation', () => {
  test('a client that goes away mid-launch cancels it: nothing more starts, the rest show why', async () => {
    const slow = createSlowStartDriver();
    const d = await daemon(slow.driver);
    // a raw client that sends the launch and then drops its connection
    const a = createConnection(d.socketPath);
    a.on('error', () => {});
    cleanups.push(() => void a.destroy());
    await new Promise<void>((resolve, reject) => {
      a.once('connect', resolve);
      a.once('error', reject);
    });
    a.write(JSON.stringify({ Command: 'vm config memory 1' }));
    a.write(JSON.stringify({ Command: 'vm launch kvm 200' }));
    await until(() => slow.started() > 0);
    a.destroy();
    const b = await client(d.socketPath);
    await until(async () => (await states(b)).ERROR === 200);
    // only the QEMUs already starting when it stopped (one launch starts a few at a time)
    expect(slow.started()).toBeLessThanOrEqual(PARALLEL);
    expect(errors(await b.runAll('vm flush'))).toEqual([]);
    expect(await states(b)).toEqual({});
  });

  test('vm kill all during a launch of 1,000 answers, stops the launch, and every VM is QUIT', async () => {
    const slow = createSlowStartDriver();
    const d = await daemon(slow.driver);
    const a = await client(d.socketPath);
    const b = await client(d.socketPath);
    await a.runAll('vm config memory 1');
    const launching = a.runAll('vm launch kvm 1000');
    await until(() => slow.started() > 0);
    expect(errors(await b.runAll('vm kill all'))).toEqual([]);
    expect(errors(await launching)).toEqual([]);
    // only the QEMUs already starting when it stopped (one launch starts a few at a time)
    expect(slow.started()).toBeLessThanOrEqual(PARALLEL);
    expect(await states(b)).toEqual({ QUIT: 1000 });
    expect(errors(await b.runAll('vm flush'))).toEqual([]);
    expect(await states(b)).toEqual({});
  });
});

describe('1,000 VMs', () => {
  test('vm start all, vm kill all and vm flush complete with the right states', async () => {
    const fake = createFakeDriver();
    const d = await daemon(fake);
    const c = await client(d.socketPath);
    await c.runAll('vm config memory 1');
    expect(errors(await c.runAll('vm launch kvm 1000'))).toEqual([]);
    expect(await states(c)).toEqual({ BUILDING: 1000 });
    expect(errors(await c.runAll('vm start all'))).toEqual([]);
    expect(await states(c)).toEqual({ RUNNING: 1000 });
    expect(errors(await c.runAll('vm kill all'))).toEqual([]);
    expect(await states(c)).toEqual({ QUIT: 1000 });
    expect(errors(await c.runAll('vm flush'))).toEqual([]);
    expect(await states(c)).toEqual({});
    expect(fake.processes.size).toBe(1000);
  });
});
