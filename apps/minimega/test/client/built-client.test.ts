// The built `minimega -e` (dist/main.cjs and dist/main.js, run by node, and
// the single executable dist/minimega) as a user runs it: what it prints, and that it
// reaches the daemon without loading Node's net and stream modules (the
// point of client/pipe-link.ts and fd-out.ts); with the pipe binding
// unusable (--pending-deprecation would warn on it) it takes net.Socket and
// prints the same.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect } from 'vitest';
import { realComponent } from '#test-support';
import { appDir, inProcessDaemon, tempBase } from '../helpers.js';

const mainCjs = join(appDir, 'dist/main.cjs');
const mainJs = join(appDir, 'dist/main.js');
const sea = join(appDir, '../../dist/minimega');

const clients: [string, string, string[]][] = [
  ['node dist/main.cjs', process.execPath, [mainCjs]],
  ["node dist/main.js (the README's way)", process.execPath, [mainJs]],
  ['dist/minimega (single executable)', sea, []],
];

/** Records the built-in modules the process loaded (process.moduleLoadList) into $MM_TEST_MODULES. */
const PRELOAD = `process.on('exit', () => require('fs').writeFileSync(process.env.MM_TEST_MODULES, process.moduleLoadList.join('\\n')));`;

describe.each(clients)('%s -e', (_label, bin, pre) => {
  const built = realComponent(`built ${pre[0] ?? bin}`, () =>
    existsSync(pre[0] ?? bin) ? undefined : 'not built (bash scripts/build.sh)',
  );

  async function run(args: string[], env: Record<string, string> = {}) {
    await using dir = await tempBase();
    const preload = join(dir.path, 'preload.cjs');
    const modules = join(dir.path, 'modules');
    await writeFile(preload, PRELOAD);
    const r = await execa(bin, [...pre, ...args], {
      reject: false,
      stdin: 'ignore',
      env: {
        ...env,
        NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} -r ${preload}`,
        MM_TEST_MODULES: modules,
      },
    });
    const loaded = (await readFile(modules, 'utf8')).split('\n');
    return { ...r, loaded };
  }
  const streamModules = (loaded: string[]) =>
    loaded.filter((m) =>
      /^NativeModule (net|stream|tty|internal\/streams\/(readable|writable|duplex))$/.test(m),
    );

  built.test('talks to the daemon without net or stream modules', async () => {
    await using d = await inProcessDaemon();
    const r = await run(['-base', d.base, '-e', 'echo', 'hi']);
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([0, 'testhost: hi', '']);
    expect(r.loaded).toContain('Internal Binding pipe_wrap');
    expect(streamModules(r.loaded)).toEqual([]);
    // nor Node's ES module loader (a CommonJS entry; the daemon is import()ed only by the daemon)
    expect(r.loaded.filter((m) => m.includes('modules/esm/loader'))).toEqual([]);
    const bad = await run(['-base', d.base, '-e', 'no', 'such']);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/^Error \(testhost\): invalid command/);
    expect(streamModules(bad.loaded)).toEqual([]);
  });

  built.test(
    'falls back to net.Socket, printing the same, when the binding is off limits',
    async () => {
      await using d = await inProcessDaemon();
      const r = await run(['-base', d.base, '-e', 'echo', 'hi'], {
        NODE_OPTIONS: '--pending-deprecation',
      });
      // no DEP0111 warning: the wrapped process.binding was left alone
      expect([r.exitCode, r.stdout, r.stderr]).toEqual([0, 'testhost: hi', '']);
      expect(r.loaded).toContain('NativeModule net');
    },
  );

  built.test('no daemon: the dial error, exit 1', async () => {
    await using base = await tempBase();
    const r = await run(['-base', base.path, '-e', 'echo', 'hi']);
    const socket = join(base.path, 'minimega');
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([
      1,
      '',
      `minimega: dial unix ${socket}: connect ENOENT ${socket}`,
    ]);
  });

  built.test('a reader that went away (EPIPE) ends it quietly', async () => {
    await using d = await inProcessDaemon();
    const p = execa(bin, [...pre, '-base', d.base, '-e', 'echo', 'hi'], {
      reject: false,
      stdin: 'ignore',
      stdout: 'pipe',
    });
    // closed long before the process has started Node, let alone written
    p.stdout!.destroy();
    const r = await p;
    expect([r.exitCode, r.stderr]).toEqual([0, '']);
  });
});
