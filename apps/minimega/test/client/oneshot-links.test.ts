// `minimega -e`'s two ways to the daemon's socket, run alike against a real
// daemon and against broken stand-ins: the pipe_wrap binding (pipe-link.ts,
// what -e uses on this Node) and net.Socket (its fallback when a Node lacks
// the binding). Same replies, same printing, same errors, same exit codes.
import { writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { MinimegaClient } from '../../src/client/connection.js';
import { runOneShot } from '../../src/client/oneshot.js';
import { dialPipe, pipeBindings } from '../../src/client/pipe-link.js';
import type { ClientSession } from '../../src/client/session.js';
import { inProcessDaemon, tempBase } from '../helpers.js';

type Dial = (path: string) => Promise<ClientSession>;

const links: [string, Dial][] = [
  [
    'pipe binding',
    async (path) => {
      const s = await dialPipe(path);
      if (!s) throw new Error('no pipe binding on this Node');
      return s;
    },
  ],
  ['net.Socket', (path) => MinimegaClient.dial(path)],
];

/** runOneShot with its output captured. */
async function oneShot(dial: Dial, socketPath: string, words: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runOneShot({
    socketPath,
    namespace: '',
    words,
    dial,
    out: {
      write: (t) => {
        stdout += t;
      },
    },
    err: {
      write: (t) => {
        stderr += t;
      },
    },
  });
  return { code, stdout, stderr };
}

/** -e on a socket nobody answers: net's words for `errno`, exit 1. */
async function expectDialError(dial: Dial, path: string, errno: string) {
  expect(await oneShot(dial, path, ['echo', 'hi'])).toEqual({
    code: 1,
    stdout: '',
    stderr: `minimega: dial unix ${path}: connect ${errno} ${path}\n`,
  });
}

/** A stand-in daemon on a unix socket that does `onConn` with each connection. */
async function standIn(onConn: (s: Socket) => void) {
  const base = await tempBase();
  const path = join(base.path, 'minimega');
  const server: Server = createServer((s) => {
    s.on('error', () => {});
    onConn(s);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    path,
    async [Symbol.asyncDispose]() {
      await new Promise<void>((r) => server.close(() => r()));
      await base[Symbol.asyncDispose]();
    },
  };
}

it('this Node has the pipe binding -e uses (else -e silently takes the slower net path)', () => {
  expect(pipeBindings()).toBeDefined();
});

describe.each(links)('-e over %s', (_name, dial) => {
  it('prints a reply, its errors to stderr, and exits 1 on an error', async () => {
    await using d = await inProcessDaemon();
    const ok = await oneShot(dial, d.socketPath, ['echo', 'hi', 'a  b']);
    expect(ok).toEqual({ code: 0, stdout: 'testhost: hi a  b\n', stderr: '' });
    const bad = await oneShot(dial, d.socketPath, ['no', 'such', 'command']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^Error \(testhost\): invalid command/);
  });

  it('streams every reply of a multi-reply command, in order', async () => {
    await using d = await inProcessDaemon();
    const script = join(d.base, 'script.mm');
    await writeFile(
      script,
      `.annotate false\necho first\necho ${'x'.repeat(200_000)}\nnot a command\n`,
    );
    const r = await oneShot(dial, d.socketPath, ['read', script]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`first\n${'x'.repeat(200_000)}\n`);
    expect(r.stderr).toBe(`Error (testhost): ${script}:4: invalid command: \`not a command\`\n`);
  });

  it('an absent socket fails with the dial error', async () => {
    await using base = await tempBase();
    const path = join(base.path, 'minimega');
    await expectDialError(dial, path, 'ENOENT');
  });

  it('a socket left by a killed daemon (nobody listens) fails with the dial error', async () => {
    await using base = await tempBase();
    const path = join(base.path, 'minimega');
    const listener = execa(
      'node',
      [
        '-e',
        `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`,
      ],
      { reject: false },
    );
    await new Promise<void>((r) => listener.stdout!.once('data', () => r()));
    listener.kill('SIGKILL');
    await listener;
    await expectDialError(dial, path, 'ECONNREFUSED');
  });

  it('a daemon that hangs up without answering: server disconnected', async () => {
    await using s = await standIn((c) => c.once('data', () => c.destroy()));
    const r = await oneShot(dial, s.path, ['echo', 'hi']);
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'minimega: server disconnected\n' });
    // ...which is success for `quit`, as minimega's -e quit
    expect(await oneShot(dial, s.path, ['quit'])).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('a daemon that answers garbage: a bad reply error', async () => {
    await using s = await standIn((c) => c.once('data', () => c.write('{"Resp": nope}\n')));
    const r = await oneShot(dial, s.path, ['echo', 'hi']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^minimega: bad reply from daemon: /);
  });

  it('a reply split across many writes, then more replies in one write', async () => {
    const one = (text: string, more: boolean) =>
      `${JSON.stringify({ Resp: [{ Host: 'h', Response: text, Error: '' }], Rendered: `h: ${text}`, More: more, Status: false })}\n`;
    await using s = await standIn((c) =>
      c.once('data', async () => {
        const first = one('é one', true);
        for (const ch of Buffer.from(first)) {
          c.write(Buffer.from([ch]));
          await new Promise((r) => setImmediate(r));
        }
        c.write(one('two', true) + one('three', false));
      }),
    );
    const r = await oneShot(dial, s.path, ['echo', 'x']);
    expect(r).toEqual({ code: 0, stdout: 'h: é one\nh: two\nh: three\n', stderr: '' });
  });
});
