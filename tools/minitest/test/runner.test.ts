import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { compareTranscript, formatDiff } from '../src/compare.js';
import { discoverTests, parseList, runTest, summary, withImages } from '../src/runner.js';
import { batchLines, runTranscript, testLines } from '../src/transcript.js';
import { type CannedReply, fakeDaemon, simple } from './fake-daemon.js';

const cliTs = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

async function testDir(files: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), `mm-minitest-d${process.pid}-`));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return { path: dir, [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }) };
}

/** echo-like fake: `echo X` → X; `fail X` → error X; `two` → two batches */
function answer(cmd: string): CannedReply[] {
  if (cmd.startsWith('echo ')) return [simple(cmd.slice(5))];
  if (cmd.startsWith('fail ')) return [simple('', [cmd.slice(5), 'another error'])];
  if (cmd === 'two')
    return [
      { Resp: null, Rendered: 'progress', More: false, Status: true },
      simple('first', [], true),
      simple('second'),
    ];
  return [{ Resp: null, Rendered: '', More: false, Status: false }];
}

describe('transcript', () => {
  it('errors sorted first, then rendered text; blank lines stay blank', async () => {
    const lines = testLines('# comment\necho hi\n\nfail b-err\ntwo\n');
    const got = await runTranscript(lines, {
      run: async (c) => answer(c).filter((r) => !r.Status),
    });
    expect(got).toBe(
      [
        '## # comment',
        '## echo hi',
        'hi',
        '',
        '## fail b-err',
        'E: another error',
        'E: b-err',
        '## two',
        'first',
        'second',
      ].join('\n'),
    );
  });

  it('a batch renders multi-line text line by line', () => {
    expect(batchLines(simple('a\nb\n'))).toEqual(['a', 'b']);
    expect(batchLines(simple(''))).toEqual([]);
  });
});

describe('comparison', () => {
  it('E: lines match any E: line at the same place; the rest is exact', () => {
    expect(compareTranscript('## x\nE: one wording\nok\n', '## x\nE: other wording\nok')).toEqual(
      [],
    );
    expect(compareTranscript('## x\nE: err\n', '## x\nnot an error\n')).toHaveLength(1);
    expect(compareTranscript('## x\nok\n', '## x\nE: err\n')).toHaveLength(1);
    expect(compareTranscript('a\nb\n', 'a\n')).toEqual([{ line: 2, want: 'b', got: undefined }]);
    expect(compareTranscript('a\n', 'a\nextra\n')).toEqual([
      { line: 2, want: undefined, got: 'extra' },
    ]);
    expect(compareTranscript('a  \n', 'a\n')).toHaveLength(1);
  });

  it('the diff shows what was missing and what was extra', () => {
    const want = '## a\n1\n## b\n2\n## c\n3\n';
    const got = '## a\n1\n## b\nE: nope\n## c\n3\n';
    const d = formatDiff(want, got, compareTranscript(want, got));
    expect(d).toContain('  + E: nope');
    expect(d).toContain('  - 2');
    expect(d).not.toContain('- 3');
  });

  it('list files ignore comments and blank lines', () => {
    expect(parseList('history\n# later\n\nshell  # comment\n')).toEqual(['history', 'shell']);
  });
});

describe('runner against a fake daemon', () => {
  it('runs prolog, test, epilog on one connection and compares', async () => {
    await using daemon = await fakeDaemon(answer);
    await using dir = await testDir({
      prolog: 'echo prolog\n',
      epilog: 'echo epilog\n',
      good: 'echo hi\n\nfail x\n',
      'good.want': '## echo hi\nhi\n\n## fail x\nE: whatever\nE: wording\n',
      bad: 'echo hi\n',
      'bad.want': '## echo hi\nbye\n',
      'orphan.want': '',
    });
    expect(await discoverTests(dir.path)).toEqual(['bad', 'good']);
    const good = await runTest('good', { dir: dir.path, socket: daemon.socket, tests: [] });
    expect(good.passed).toBe(true);
    expect(daemon.received).toEqual(['echo prolog', 'echo hi', 'fail x', 'echo epilog']);
    const bad = await runTest('bad', { dir: dir.path, socket: daemon.socket, tests: [] });
    expect(bad.passed).toBe(false);
    expect(bad.mismatches).toEqual([{ line: 2, want: 'bye', got: 'hi' }]);
    expect(summary([good, bad])).toBe('1 passed, 1 failed');
  });

  it('a command past its time limit fails the test, and the epilog still runs on a fresh connection', async () => {
    // `hang` never answers on its connection; the epilog must not queue behind it
    await using daemon = await fakeDaemon((cmd) => (cmd === 'hang' ? [] : answer(cmd)));
    await using dir = await testDir({
      epilog: 'echo epilog\n',
      slow: 'echo hi\nhang\necho never\n',
      'slow.want': '## echo hi\nhi\n## hang\n## echo never\nnever\n',
    });
    const r = await runTest('slow', {
      dir: dir.path,
      socket: daemon.socket,
      tests: [],
      timeoutMs: 300,
    });
    expect(r.passed).toBe(false);
    expect(r.error).toMatch(/no reply within 300 ms/);
    expect(daemon.received).toEqual(['echo hi', 'hang', 'echo epilog']);
    expect(daemon.connections).toBe(2);
  });

  it('a test that does not exist fails with the reason', async () => {
    await using dir = await testDir({});
    const r = await runTest('nope', { dir: dir.path, socket: join(dir.path, 'x'), tests: [] });
    expect(r.passed).toBe(false);
    expect(r.error).toMatch(/cannot read test nope/);
  });

  it('a daemon that disconnects fails the test with the reason', async () => {
    await using dir = await testDir({ t: 'echo hi\n', 't.want': '## echo hi\nhi\n' });
    const r = await runTest('t', { dir: dir.path, socket: join(dir.path, 'no-socket'), tests: [] });
    expect(r.passed).toBe(false);
    expect(r.error).toMatch(/dial unix/);
  });

  it('the CLI prints a line per test and the closing line, exit 1 on failure', async () => {
    await using daemon = await fakeDaemon(answer);
    await using dir = await testDir({
      a: 'echo a\n',
      'a.want': '## echo a\na\n',
      b: 'echo b\n',
      'b.want': '## echo b\nB\n',
      list: 'a\n# b is broken\n',
    });
    const run = (args: string[]) =>
      execa(
        'node',
        ['--import', 'tsx', cliTs, '--dir', dir.path, '--socket', daemon.socket, ...args],
        {
          reject: false,
        },
      );
    const all = await run([]);
    expect(all.exitCode).toBe(1);
    expect(all.stdout).toMatch(/^PASS a \(/m);
    expect(all.stdout).toMatch(/^FAIL b \(/m);
    expect(all.stdout).toContain('  - B\n  + b');
    expect(all.stdout.trim().split('\n').at(-1)).toBe('1 passed, 1 failed');
    const listed = await run(['--list', join(dir.path, 'list')]);
    expect(listed.exitCode).toBe(0);
    expect(listed.stdout.trim().split('\n').at(-1)).toBe('1 passed, 0 failed');
    const out = join(dir.path, 'got');
    const named = await run(['--out', out, 'b']);
    expect(named.exitCode).toBe(1);
    expect(readFileSync(join(out, 'b.got'), 'utf8')).toBe('## echo b\nb\n');
    const usage = await run(['--bogus']);
    expect(usage.exitCode).toBe(2);
  });
});

describe('$images', () => {
  it('stands for the images directory in commands; without one the line is sent as written', () => {
    expect(withImages('vm config filesystem $images/minicccfs', '/img')).toBe(
      'vm config filesystem /img/minicccfs',
    );
    expect(withImages('vm config filesystem $images/minicccfs', undefined)).toBe(
      'vm config filesystem $images/minicccfs',
    );
    expect(withImages('echo $imagesX', '/img')).toBe('echo $imagesX');
  });
});
