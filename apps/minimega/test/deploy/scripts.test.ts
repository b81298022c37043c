// The one script deploy runs per host over ssh, run here with the local sh
// (no ssh): what the probe reports, the key and a compressed copy on one
// stdin after the decision line, a truncated copy refused, the start and the
// watch reporting a daemon that dies, sudo wrapping only the start, a deploy
// directory owned by someone else refused.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { gzipSync } from 'node:zlib';
import { expect, test } from 'vitest';
import { tempDir } from '#test-support';
import { describeExecutable } from '../../src/commands/deploy/executable.js';
import {
  COPY_FAILED_EXIT,
  decisionLine,
  type LaunchPlan,
  parseProbe,
  remoteExecutablePath,
  sessionScript,
} from '../../src/commands/deploy/launch.js';

const sh = (script: string, ...input: (string | Buffer)[]) =>
  spawnSync('sh', ['-c', script], {
    input: Buffer.concat(input.map((x) => Buffer.from(x))),
    encoding: 'utf8',
  });

function planIn(dir: string, exe: Buffer, over: Partial<LaunchPlan> = {}): LaunchPlan {
  return {
    targets: [],
    sudo: false,
    exe: { path: '/unused', size: exe.length, sha256: 'b'.repeat(64) },
    flags: ['-nostdin=true'],
    remoteBase: join(dir, 'base'),
    remoteDir: join(dir, 'deploy'),
    stdout: join(dir, 'base/out'),
    stderr: join(dir, 'base/err'),
    meshKey: { local: '/unused', remote: join(dir, 'deploy/meshkey-head') },
    timeoutMs: 1000,
    ...over,
  };
}

test('probe, then the key and a gzip copy on one stdin: files in place and private; the next probe finds it', async () => {
  await using d = await tempDir('deploy-scripts');
  const exe = Buffer.from(`#!/bin/sh\necho started "$@"\n${'x'.repeat(100_000)}\n`);
  const plan = planIn(d.path, exe);
  const key = Buffer.from('secret-key\n');
  const packed = gzipSync(exe);
  const copy = { codec: 'gzip' as const, path: '/unused', size: packed.length };
  const r = sh(
    sessionScript(plan),
    decisionLine({ keyBytes: key.length, copy, start: false }),
    key,
    packed,
  );
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const [probe, rest] = r.stdout.split('probe-end\n');
  const p = parseProbe(probe!);
  expect(p).toMatchObject({ have: -1, running: '', badDir: '' });
  expect(p.host).toBe(execFileSync('hostname', { encoding: 'utf8' }).trim());
  expect(p.codecs).toContain('gzip');
  expect(rest).toBe('copied\ninstall-end\n');
  expect(statSync(plan.remoteDir).mode & 0o777).toBe(0o700);
  const path = remoteExecutablePath(plan);
  expect(readFileSync(path).equals(exe)).toBe(true);
  expect(statSync(path).mode & 0o777).toBe(0o755);
  expect(readFileSync(plan.meshKey!.remote, 'utf8')).toBe('secret-key\n');
  expect(statSync(plan.meshKey!.remote).mode & 0o777).toBe(0o600);

  // the next session finds it; nothing to send, nothing to start
  const again = sh(sessionScript(plan), decisionLine({ keyBytes: 0, start: false }));
  expect(parseProbe(again.stdout).have).toBe(exe.length);
  expect(again.stdout).toMatch(/probe-end\ninstall-end\n$/);
});

test('a truncated copy fails with its own exit status, starts nothing and leaves no file', async () => {
  await using d = await tempDir('deploy-scripts');
  const exe = Buffer.alloc(50_000, 7);
  const plan = planIn(d.path, exe, { meshKey: undefined });
  const copy = { codec: 'raw' as const, path: '/unused', size: 1000 };
  const r = sh(
    sessionScript(plan),
    decisionLine({ keyBytes: 0, copy, start: true }),
    exe.subarray(0, 1000),
  );
  expect(r.status).toBe(COPY_FAILED_EXIT);
  expect(r.stderr).toMatch(/got 1000 of 50000 bytes/);
  expect(r.stdout).not.toMatch(/pid=|install-end/);
  expect(spawnSync('ls', ['-A', plan.remoteDir], { encoding: 'utf8' }).stdout).toBe('');
});

test('the start prints the pid; the watch reports a daemon that dies, with its log', async () => {
  await using d = await tempDir('deploy-scripts');
  const exe = Buffer.from('#!/bin/sh\necho "ran $*"\necho "fatal: no such flag" >&2\nexit 2\n');
  const plan = planIn(d.path, exe, { meshKey: undefined });
  const child = spawn('sh', ['-c', sessionScript(plan)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const rl = createInterface({ input: child.stdout });
  const packed = gzipSync(exe);
  child.stdin.write(
    decisionLine({
      keyBytes: 0,
      copy: { codec: 'gzip', path: '', size: packed.length },
      start: true,
    }),
  );
  child.stdin.write(packed);
  for await (const l of rl) {
    lines.push(l);
    if (l === 'dead-end') break;
  }
  child.stdin.end();
  const code = await new Promise((res) => child.on('exit', res));
  expect(code).toBe(0);
  const after = lines.slice(lines.indexOf('probe-end') + 1);
  expect(after[0]).toBe('copied');
  expect(after[1]).toMatch(/^pid=\d+$/);
  expect(after.slice(2)).toEqual(['install-end', 'dead', 'fatal: no such flag', 'dead-end']);
  expect(readFileSync(plan.stdout, 'utf8')).toBe('ran -nostdin=true\n');
});

test('a live daemon is watched until stdin closes; sudo wraps only the start', async () => {
  await using d = await tempDir('deploy-scripts');
  const exe = Buffer.from('#!/bin/sh\nexec sleep 30\n');
  const plan = planIn(d.path, exe, { meshKey: undefined });
  const r = spawnSync('sh', ['-c', sessionScript(plan)], {
    input: Buffer.concat([
      Buffer.from(
        decisionLine({
          keyBytes: 0,
          copy: { codec: 'raw', path: '', size: exe.length },
          start: true,
        }),
      ),
      exe,
    ]),
    encoding: 'utf8',
    timeout: 10_000,
  });
  expect(r.status).toBe(0);
  const pid = /pid=(\d+)/.exec(r.stdout)?.[1];
  expect(r.stdout).toMatch(/install-end\n$/);
  // the daemon outlives the session
  expect(() => process.kill(Number(pid), 0)).not.toThrow();
  process.kill(Number(pid), 'SIGKILL');

  const sudo = sessionScript({ ...plan, sudo: true });
  const sudoLines = sudo.split('\n').filter((l) => l.includes('sudo'));
  expect(sudoLines).toHaveLength(1);
  expect(sudoLines[0]).toMatch(/^ {2}out=\$\(sudo -n sh -c '/);
});

test('a deploy directory owned by someone else is refused, not used', async () => {
  await using d = await tempDir('deploy-scripts');
  const plan = planIn(d.path, Buffer.alloc(1), { remoteDir: join(d.path, 'theirs') });
  execFileSync('mkdir', ['-m', '777', plan.remoteDir]);
  execFileSync('chown', ['65534', plan.remoteDir]);
  const r = sh(sessionScript(plan), decisionLine({ keyBytes: 0, start: true }));
  const p = parseProbe(r.stdout);
  expect(p.badDir).toMatch(/owned by another user/);
  expect(p.host).toBe('');
  expect(r.stdout).not.toMatch(/probe-end|pid=/);
});

test('the executable: hashed once, or taken from the build record; packs used only when they belong to it', async () => {
  await using d = await tempDir('deploy-exe');
  const exe = join(d.path, 'minimega');
  writeFileSync(exe, 'the executable');
  const sha = createHash('sha256').update('the executable').digest('hex');
  expect(await describeExecutable(exe)).toEqual({ path: exe, size: 14, sha256: sha });
  // a build record naming another hash, written after the file, is what the build said
  const other = 'c'.repeat(64);
  const later = new Date(Date.now() + 5000);
  writeFileSync(`${exe}.zst`, 'packed');
  writeFileSync(`${exe}.sha256`, `${other}  ${exe}\n`);
  utimesSync(`${exe}.zst`, later, later);
  utimesSync(`${exe}.sha256`, later, later);
  writeFileSync(`${exe}`, 'the executable'); // new mtime: the in-memory cache no longer applies
  utimesSync(exe, new Date(Date.now() + 1000), new Date(Date.now() + 1000));
  const fromRecord = await describeExecutable(exe);
  expect(fromRecord.sha256).toBe(other);
  expect(fromRecord.packed).toEqual({ zstd: { path: `${exe}.zst`, size: 6 } });
  // the file rebuilt after its record: hashed again, the stale packs ignored
  const newer = new Date(Date.now() + 10_000);
  utimesSync(exe, newer, newer);
  expect(await describeExecutable(exe)).toEqual({ path: exe, size: 14, sha256: sha });
});
