// The probe and install scripts deploy sends over ssh, run here with the
// local sh (no ssh): what the probe reports, a compressed copy with the mesh
// key ahead of it on stdin, a truncated copy refused, sudo wrapping the start.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { expect, test } from 'vitest';
import { tempDir } from '#test-support';
import {
  COPY_FAILED_EXIT,
  installScript,
  type LaunchPlan,
  parseProbe,
  probeScript,
  remoteExecutablePath,
} from '../../src/commands/deploy/launch.js';

const sh = (script: string, input?: Buffer) =>
  spawnSync('sh', ['-c', script], { input: input ?? Buffer.alloc(0), encoding: 'utf8' });

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

test('probe, then key + gzip copy on one stdin: files in place, private; probe then finds it', async () => {
  await using d = await tempDir('deploy-scripts');
  const exe = Buffer.from(`#!/bin/sh\necho started "$@"\n${'x'.repeat(100_000)}\n`);
  const plan = planIn(d.path, exe);
  const before = parseProbe(sh(probeScript(plan)).stdout);
  expect(before).toMatchObject({ have: -1, running: '', badDir: '' });
  expect(before.host).toBe(execFileSync('hostname', { encoding: 'utf8' }).trim());
  expect(before.codecs).toContain('gzip');
  expect(statSync(plan.remoteDir).mode & 0o777).toBe(0o700);

  const key = Buffer.from('secret-key\n');
  const script = installScript(plan, {
    keyBytes: key.length,
    copy: { codec: 'gzip', path: '/unused', size: 0 },
    start: false,
  });
  const r = sh(script, Buffer.concat([key, gzipSync(exe)]));
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toBe('copied\n');
  const path = remoteExecutablePath(plan);
  expect(readFileSync(path).equals(exe)).toBe(true);
  expect(statSync(path).mode & 0o777).toBe(0o755);
  expect(readFileSync(plan.meshKey!.remote, 'utf8')).toBe('secret-key\n');
  expect(statSync(plan.meshKey!.remote).mode & 0o777).toBe(0o600);

  expect(parseProbe(sh(probeScript(plan)).stdout).have).toBe(exe.length);
});

test('a truncated copy fails with its own exit status and leaves no file', async () => {
  await using d = await tempDir('deploy-scripts');
  const exe = Buffer.alloc(50_000, 7);
  const plan = planIn(d.path, exe, { meshKey: undefined });
  sh(probeScript(plan));
  const script = installScript(plan, {
    copy: { codec: 'raw', path: '/unused', size: 0 },
    start: true,
  });
  const r = sh(script, exe.subarray(0, 1000));
  expect(r.status).toBe(COPY_FAILED_EXIT);
  expect(r.stderr).toMatch(/got 1000 of 50000 bytes/);
  expect(r.stdout).not.toMatch(/pid=/);
  expect(spawnSync('ls', ['-A', plan.remoteDir], { encoding: 'utf8' }).stdout).toBe('');
});

test('the start runs detached and prints its pid; sudo wraps only the start', async () => {
  await using d = await tempDir('deploy-scripts');
  const exe = Buffer.from('#!/bin/sh\necho "ran $*"\n');
  const plan = planIn(d.path, exe, { meshKey: undefined });
  sh(probeScript(plan));
  writeFileSync(remoteExecutablePath(plan), exe, { mode: 0o755 });
  const r = sh(installScript(plan, { start: true }));
  expect(r.status).toBe(0);
  const pid = /pid=(\d+)/.exec(r.stdout)?.[1];
  expect(pid).toBeDefined();
  for (let i = 0; i < 100 && !readFileSync(plan.stdout, 'utf8').includes('ran'); i++) {
    await new Promise((res) => setTimeout(res, 20));
  }
  expect(readFileSync(plan.stdout, 'utf8')).toBe('ran -nostdin=true\n');

  const sudo = installScript(
    { ...plan, sudo: true, meshKey: { local: '/k', remote: '/r/k' } },
    { keyBytes: 3, start: true },
  );
  const [copyPart, startPart] = sudo.split('\nsudo -n sh -c ');
  expect(copyPart).toContain('head -c 3');
  expect(copyPart).not.toContain('sudo');
  expect(startPart).toContain('nohup');
});

test('a deploy directory owned by someone else is refused, not used', async () => {
  await using d = await tempDir('deploy-scripts');
  const plan = planIn(d.path, Buffer.alloc(1), { remoteDir: join(d.path, 'theirs') });
  execFileSync('mkdir', ['-m', '777', plan.remoteDir]);
  execFileSync('chown', ['65534', plan.remoteDir]);
  const p = parseProbe(sh(probeScript(plan)).stdout);
  expect(p.badDir).toMatch(/owned by another user/);
  expect(p.host).toBe('');
});
