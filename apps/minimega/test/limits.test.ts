// Resource limits (issue 14 §3): command output, client send buffers and the
// history are bounded; past a limit the answer is a clear error (or the
// non-reading client is dropped) and the daemon keeps answering.

import { readFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MinimegaClient } from '../src/client/connection.js';
import type { DaemonFlags } from '../src/context.js';
import { descendants } from '../src/daemon/processes.js';
import type { WireReply } from '../src/protocol/wire.js';
import { daemonProcess, inProcessDaemon } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function daemon(flags: Partial<DaemonFlags> = {}) {
  const d = await inProcessDaemon(undefined, flags);
  cleanups.push(() => d.close());
  return d;
}

async function client(socket: string) {
  const c = await MinimegaClient.dial(socket);
  cleanups.push(() => c.close());
  return c;
}

const error = (rs: WireReply[]) => rs.map((r) => r.Resp?.[0]?.Error ?? '').join('\n');

/** A client that sends `command` and never reads a byte of the answer. */
async function deafClient(socket: string, command: string): Promise<Socket> {
  const s = createConnection(socket);
  s.on('error', () => {});
  cleanups.push(() => void s.destroy());
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  s.pause();
  s.write(JSON.stringify({ Command: command }));
  return s;
}

async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('command output cap', () => {
  it('shell head -c 100000001 /dev/zero is an error naming the limit; the daemon keeps answering', async () => {
    const d = await daemon();
    const c = await client(d.socketPath);
    const rs = await c.runAll('shell head -c 100000001 /dev/zero');
    expect(error(rs)).toBe(
      'shell head produced more than 16777216 bytes of output; stopped (raise the limit with -max-output)',
    );
    expect((await c.runAll('echo still here')).map((r) => r.Resp?.[0]?.Response)).toEqual([
      'still here',
    ]);
  });

  it('-max-output sets the limit; output within it is whole', async () => {
    const d = await daemon({ 'max-output': 1000 });
    const c = await client(d.socketPath);
    expect(error(await c.runAll('shell seq 1 1000'))).toMatch(/more than 1000 bytes of output/);
    const [ok] = await c.runAll('shell seq 1 5');
    expect(ok?.Resp?.[0]?.Response).toBe('1\n2\n3\n4\n5\n');
  });
});

describe('control socket send buffers', () => {
  it('a reply bigger than -max-client-buffer is replaced by an error saying so', async () => {
    const d = await daemon({ 'max-client-buffer': 100_000 });
    const c = await client(d.socketPath);
    const rs = await c.runAll('shell seq 1 50000');
    expect(error(rs)).toMatch(
      /^reply of \d+ bytes is larger than the client buffer limit of 100000 bytes/,
    );
    expect(rs.at(-1)?.More).toBe(false);
    expect((await c.runAll('echo ok'))[0]?.Resp?.[0]?.Response).toBe('ok');
  });

  it('clients that never read are disconnected once they hold more than -max-send-buffers', async () => {
    const d = await daemon({ 'max-send-buffers': 2_000_000 });
    // ten clients asking ~1.2 MB replies each and never reading them
    for (let i = 0; i < 10; i++) await deafClient(d.socketPath, 'shell seq 1 100000');
    await until(() => d.lines.filter((l) => l.includes('not reading')).length >= 5);
    expect(d.lines.join('\n')).toMatch(
      /client \d+: not reading: \d+ bytes queued while clients hold more than 2000000/,
    );
    await until(() => d.server.connections <= 6);
    const c = await client(d.socketPath);
    expect((await c.runAll('echo ok'))[0]?.Resp?.[0]?.Response).toBe('ok');
  });
});

describe('40 clients that never read', () => {
  const rssMB = (pid: number) =>
    Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

  it('do not raise the daemon RSS past -max-send-buffers (each asks a ~18 MB reply)', async () => {
    await using d = await daemonProcess(['-max-send-buffers', String(16 << 20)]);
    const pid = d.proc.pid as number;
    const probe = await client(d.socket);
    await probe.runAll('shell seq 1 10');
    const before = rssMB(pid);
    // 1.5 MB of NUL bytes: cheap to make, ~18 MB as a JSON reply (each NUL is \u0000, twice)
    for (let i = 0; i < 40; i++) await deafClient(d.socket, 'shell head -c 1500000 /dev/zero');
    // every command ran (no seq left), then V8 has had time to give garbage back
    const seqs = () =>
      descendants(pid).filter((p) => {
        try {
          return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'head';
        } catch {
          return false;
        }
      });
    await until(() => seqs().length === 0, 150_000);
    await probe.runAll('echo settle');
    await new Promise((r) => setTimeout(r, 12_000));
    const grown = rssMB(pid) - before;
    // without the cap the 40 unread replies alone hold ~720 MB
    expect(grown).toBeLessThan(400); // measured here: ~180 MB with the cap, ~1 GB without
    expect((await probe.runAll('echo ok'))[0]?.Resp?.[0]?.Response).toBe('ok');
  }, 240_000);
});

describe('history caps', () => {
  it('a line longer than -max-history-line is noted, not kept; -max-history drops the oldest', async () => {
    const d = await daemon({ 'max-history-line': 100, 'max-history': 200 });
    const c = await client(d.socketPath);
    await c.runAll(`echo ${'x'.repeat(500)}`);
    let hist = (await c.runAll('history'))[0]?.Resp?.[0]?.Response ?? '';
    expect(hist).toBe('# command of 505 bytes not kept in the history (longer than 100)');
    for (let i = 0; i < 30; i++) await c.runAll(`echo ${i}`);
    hist = (await c.runAll('history'))[0]?.Resp?.[0]?.Response ?? '';
    const lines = hist.split('\n');
    expect(lines.join('').length).toBeLessThanOrEqual(200); // entries' bytes, without the joining newlines
    expect(lines.length).toBeLessThan(31);
    expect(hist.split('\n').at(-1)).toBe('echo 29');
  });
});
