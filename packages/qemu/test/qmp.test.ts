import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { tempDir } from '#test-support';
import {
  QmpClient,
  QmpClosedError,
  QmpCommandError,
  QmpProtocolError,
  QmpTimeoutError,
} from '../src/index.js';

type Behaviour = (sock: Socket, msg: Record<string, unknown>) => void;

const GREETING =
  '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}}, "capabilities": ["oob"]}}\n';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A fake QMP server on a unix socket in a temp dir. */
async function fakeQmp(
  opts: { greeting?: string | null; onCommand?: Behaviour } = {},
): Promise<string> {
  const dir = await tempDir('mm-qmp-');
  const path = join(dir.path, 'qmp');
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    if (opts.greeting !== null) sock.write(opts.greeting ?? GREETING);
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const msg = JSON.parse(line) as Record<string, unknown>;
        const reply = (v: unknown) => sock.write(`${JSON.stringify(v)}\n`);
        if (msg.execute === 'qmp_capabilities') reply({ return: {}, id: msg.id });
        else if (opts.onCommand) opts.onCommand(sock, msg);
        else reply({ return: { echoed: msg.execute }, id: msg.id });
        nl = buf.indexOf('\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(path, r));
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
    await dir[Symbol.asyncDispose]();
  });
  return path;
}

describe('QmpClient', () => {
  test('greets, negotiates capabilities, runs commands by id', async () => {
    const path = await fakeQmp();
    await using c = await QmpClient.connect({ path });
    const [a, b] = await Promise.all([c.execute('query-status'), c.execute('query-block')]);
    expect(a).toEqual({ echoed: 'query-status' });
    expect(b).toEqual({ echoed: 'query-block' });
  });

  test('matches replies by id even when they arrive out of order', async () => {
    const held: Array<() => void> = [];
    const path = await fakeQmp({
      onCommand: (sock, msg) => {
        const send = () => sock.write(`${JSON.stringify({ return: msg.execute, id: msg.id })}\n`);
        if (msg.execute === 'slow') held.push(send);
        else {
          send();
          for (const h of held.splice(0)) h();
        }
      },
    });
    await using c = await QmpClient.connect({ path });
    const slow = c.execute('slow');
    await new Promise((r) => setTimeout(r, 20));
    const fast = await c.execute('fast');
    expect(fast).toBe('fast');
    expect(await slow).toBe('slow');
  });

  test('delivers async events and keeps replies separate', async () => {
    const path = await fakeQmp({
      onCommand: (sock, msg) => {
        sock.write('{"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 2}}\n');
        sock.write(`${JSON.stringify({ return: {}, id: msg.id })}\n`);
      },
    });
    await using c = await QmpClient.connect({ path });
    const events: string[] = [];
    c.events.on('event', (e) => events.push(e.event));
    expect(await c.execute('stop')).toEqual({});
    expect(events).toEqual(['STOP']);
  });

  test('QMP errors become QmpCommandError with class and desc', async () => {
    const path = await fakeQmp({
      onCommand: (sock, msg) =>
        sock.write(
          `${JSON.stringify({ error: { class: 'GenericError', desc: 'nope' }, id: msg.id })}\n`,
        ),
    });
    await using c = await QmpClient.connect({ path });
    const err = await c.execute('x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QmpCommandError);
    expect(err).toMatchObject({
      code: 'ERR_QMP_COMMAND',
      errorClass: 'GenericError',
      desc: 'nope',
    });
  });

  test('raw messages get the reply without our id', async () => {
    const path = await fakeQmp({
      onCommand: (sock, msg) =>
        sock.write(
          `${JSON.stringify({ return: { status: 'prelaunch' }, ...(msg.id ? { id: msg.id } : {}) })}\n`,
        ),
    });
    await using c = await QmpClient.connect({ path });
    expect(await c.raw({ execute: 'query-status' })).toEqual({ return: { status: 'prelaunch' } });
  });

  test('a server that stalls: the command times out', async () => {
    const path = await fakeQmp({ onCommand: () => {} });
    await using c = await QmpClient.connect({ path, timeoutMs: 200 });
    const err = await c.execute('query-status').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QmpTimeoutError);
    expect((err as QmpTimeoutError).code).toBe('ERR_QMP_TIMEOUT');
  });

  test('a server that never greets: connect times out', async () => {
    const path = await fakeQmp({ greeting: null });
    await expect(QmpClient.connect({ path, timeoutMs: 200 })).rejects.toBeInstanceOf(
      QmpTimeoutError,
    );
  });

  test('a server that sends garbage: protocol error, connection closed', async () => {
    const path = await fakeQmp({ onCommand: (sock) => sock.write('this is not json\n') });
    const c = await QmpClient.connect({ path });
    const err = await c.execute('x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QmpProtocolError);
    expect(c.closed).toBe(true);
    await expect(c.execute('y')).rejects.toBeInstanceOf(QmpClosedError);
  });

  test('a garbage greeting is a protocol error', async () => {
    const path = await fakeQmp({ greeting: '{"hello": 1}\n' });
    await expect(QmpClient.connect({ path })).rejects.toBeInstanceOf(QmpProtocolError);
  });

  test('the server closing fails pending commands with QmpClosedError', async () => {
    const path = await fakeQmp({ onCommand: (sock) => sock.destroy() });
    const c = await QmpClient.connect({ path });
    await expect(c.execute('x')).rejects.toBeInstanceOf(QmpClosedError);
  });

  test('no socket: QmpClosedError', async () => {
    await expect(QmpClient.connect({ path: '/nonexistent/qmp' })).rejects.toBeInstanceOf(
      QmpClosedError,
    );
  });
});
