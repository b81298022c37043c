// The miniweb command: flags, the tokens file, and the generated admin token.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { FlagError, parseFlags } from '../src/flags.js';
import { parseTokens, TokenFileError } from '../src/tokens.js';
import { startFakeDaemon } from '../test-support/fake-daemon.js';

const appDir = fileURLToPath(new URL('..', import.meta.url));

describe('flags and tokens', () => {
  test('Go-style flags; bad values name the flag', () => {
    expect(parseFlags(['-base', '/b', '-addr=127.0.0.1:0', '--namespace', 'ns'])).toMatchObject({
      base: '/b',
      addr: '127.0.0.1:0',
      namespace: 'ns',
      tokens: '',
    });
    expect(() => parseFlags(['-addr', 'nope'])).toThrow(/-addr: expected host:port/);
    expect(() => parseFlags(['-bogus', 'x'])).toThrow(FlagError);
    expect(() => parseFlags(['-base'])).toThrow(/needs a value: -base/);
  });

  test('tokens file: TOKEN ROLE lines; errors name the line', () => {
    expect(parseTokens('# comment\nadmin-token-1 admin\n\nviewer-token-1 viewer\n')).toEqual([
      ['admin-token-1', 'admin'],
      ['viewer-token-1', 'viewer'],
    ]);
    expect(() => parseTokens('abcdefgh root\n', 'f')).toThrow(/f:1: unknown role `root`/);
    expect(() => parseTokens('x admin\n', 'f')).toThrow(/f:1: token too short/);
    expect(() => parseTokens('a b c\n', 'f')).toThrow(TokenFileError);
    expect(() => parseTokens('\n# nothing\n', 'f')).toThrow(/no tokens/);
  });
});

test('without -tokens, miniweb prints an admin token once and stores it (0600) under the base', async () => {
  await using fake = await startFakeDaemon();
  const proc = execa(
    'node',
    [
      '--conditions=source',
      '--import',
      'tsx',
      'src/main.ts',
      '-base',
      fake.base,
      '-addr',
      '127.0.0.1:0',
    ],
    {
      cwd: appDir,
      reject: false,
    },
  );
  try {
    let out = '';
    await new Promise<void>((resolve, reject) => {
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (/open (http\S+)\?token=\S+/.test(out)) resolve();
      });
      proc.once('exit', () => reject(new Error(`miniweb exited: ${out}`)));
    });
    const m = /open (http\S+)\/\?token=(\S+)/.exec(out)!;
    const [url, token] = [m[1]!, m[2]!];
    const file = join(fake.base, 'miniweb.token');
    expect((await readFile(file, 'utf8')).trim()).toBe(`${token} admin`);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await fetch(`${url}/api/v1/vms`)).status).toBe(401);
    const ok = await fetch(`${url}/api/v1/whoami`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await ok.json()).toEqual({ role: 'admin', namespace: '' });
  } finally {
    proc.kill('SIGTERM');
    await proc;
  }
});

test('a bad tokens file stops miniweb with a clear error', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'miniweb-tok-'));
  try {
    await writeFile(join(dir, 'tokens'), 'abcdefgh superuser\n');
    const r = await execa(
      'node',
      [
        '--conditions=source',
        '--import',
        'tsx',
        'src/main.ts',
        '-base',
        dir,
        '-tokens',
        join(dir, 'tokens'),
      ],
      {
        cwd: appDir,
        reject: false,
      },
    );
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/tokens:1: unknown role `superuser`/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
