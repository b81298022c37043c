import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { tempDir } from '#test-support';
import { createSpawner, shQuote } from '../src/spawner.js';

describe('process spawner (helper shell)', () => {
  test('quotes arguments exactly, reports pid, exit code and stderr', async () => {
    await using dir = await tempDir('mm-spawn-');
    const sp = createSpawner();
    try {
      const stderrFile = join(dir.path, 'stderr');
      const weird = `it's "a" $HOME \`b\` ;|&`;
      const p = sp.spawn('sh', ['-c', 'printf "%s|%s" "$1" "$(pwd)" >&2; exit 3', 'sh', weird], {
        cwd: dir.path,
        stderrFile,
      });
      expect(await p.pid).toBeGreaterThan(0);
      expect(await p.exited).toEqual({ code: 3, signal: undefined });
      expect(await readFile(stderrFile, 'utf8')).toBe(`${weird}|${dir.path}`);
    } finally {
      await sp.close();
    }
  });

  test('a signal shows as the signal; many children at once', async () => {
    await using dir = await tempDir('mm-spawn-');
    const sp = createSpawner();
    try {
      const ps = Array.from({ length: 20 }, () =>
        sp.spawn('sleep', ['30'], { cwd: dir.path, stderrFile: join(dir.path, 'e') }),
      );
      const pids = await Promise.all(ps.map((p) => p.pid));
      expect(new Set(pids).size).toBe(20);
      process.kill(pids[0]!, 'SIGTERM');
      expect(await ps[0]!.exited).toEqual({ code: undefined, signal: 'SIGTERM' });
      for (const pid of pids.slice(1)) process.kill(pid, 'SIGKILL');
      for (const p of ps.slice(1)) expect((await p.exited).signal).toBe('SIGKILL');
    } finally {
      await sp.close();
    }
  });

  test('a missing binary exits 127 with the shell error in stderr', async () => {
    await using dir = await tempDir('mm-spawn-');
    const sp = createSpawner();
    try {
      const stderrFile = join(dir.path, 'stderr');
      const p = sp.spawn('/nonexistent/qemu', [], { cwd: dir.path, stderrFile });
      expect((await p.exited).code).toBe(127);
      expect(await readFile(stderrFile, 'utf8')).toMatch(/not found|No such file/);
    } finally {
      await sp.close();
    }
  });

  test('closing the supervisor stops its children', async () => {
    await using dir = await tempDir('mm-spawn-');
    const sp = createSpawner();
    const p = sp.spawn('sleep', ['30'], { cwd: dir.path, stderrFile: join(dir.path, 'e') });
    const pid = await p.pid;
    await sp.close();
    expect((await p.exited).signal).toBe('SIGKILL');
    await new Promise((r) => setTimeout(r, 50));
    expect(() => process.kill(pid, 0)).toThrow();
  });

  test('line breaks in arguments are refused; quoting round-trips', () => {
    const sp = createSpawner();
    expect(() => sp.spawn('x', ['a\nb'], { cwd: '/', stderrFile: '/dev/null' })).toThrow(
      /line break/,
    );
    expect(shQuote("a'b")).toBe(`'a'\\''b'`);
  });
});
