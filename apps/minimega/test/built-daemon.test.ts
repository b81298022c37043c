// The built daemon as a user starts it (`node dist/main.js`, README, and the
// single executable dist/minimega), idle: what it has loaded (issue 13, idle
// RSS). The node daemon is one bundled CommonJS file (tsup.config.ts) that
// the entry compiles with its code cache (src/entry/cached-function.ts);
// neither loads
// the built-in modules only some commands need (daemon-bundle.ts
// lazyBuiltins); both run the start-up's memory-reducing collection once
// serving (src/heap.ts), and a command needing a lazily loaded module works.
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { describe, expect } from 'vitest';
import { realComponent } from '#test-support';
import { MinimegaClient } from '../src/client/connection.js';
import { replyErrors } from '../src/protocol/wire.js';
import { appDir, tempBase } from './helpers.js';

const mainJs = join(appDir, 'dist/main.js');
const daemonJs = join(appDir, 'dist/daemon/start.cjs');
const sea = join(appDir, '../../dist/minimega');

/** Writes process.moduleLoadList to $MM_TEST_MODULES on SIGUSR2. */
const PRELOAD = `process.on('SIGUSR2', () => require('fs').writeFileSync(process.env.MM_TEST_MODULES, process.moduleLoadList.join('\\n')));`;

/**
 * Only some commands need these (a daemon that has served nothing has none).
 * `module` brings Node's ES module loader: msgpackr-extract's own loader
 * would load it at start-up, so the daemon requires the addon file itself.
 */
const LAZY = ['tls', 'zlib', 'readline', 'dns/promises', 'inspector/promises', 'module'];

const daemons: [string, string, string[]][] = [
  ['node dist/main.js', process.execPath, [mainJs]],
  ['dist/minimega (single executable)', sea, []],
];

describe('the node daemon bundle', () => {
  const built = realComponent('built dist/daemon/start.cjs', () =>
    existsSync(daemonJs) ? undefined : 'not built (bash scripts/build.sh)',
  );
  built.test('requires nothing but Node built-ins (one file: no module graph)', async () => {
    const code = await readFile(daemonJs, 'utf8');
    const specifiers = [...code.matchAll(/\brequire\s*\(\s*["']([^"']+)["']\s*\)/g)].map(
      (m) => m[1]!,
    );
    // no import(): the entry compiles this file with vm.compileFunction, which on
    // Node 20 has no dynamic import callback (without --experimental-vm-modules),
    // so an import() fails when it runs ("A dynamic import callback was not
    // specified"): a remote vm launch's kernel fetch did, in the cluster tests
    expect([...code.matchAll(/\bimport\s*\(\s*["'`]?([^"'`)]*)/g)].map((m) => m[1])).toEqual([]);
    expect(specifiers).toContain('node:fs');
    // msgpackr's optional native decoder, from its installed place
    expect(
      specifiers.filter((s) => !isBuiltin(s) && !/\/@?msgpackr-extract[\w-]*\//.test(s)),
    ).toEqual([]);
  });
});

describe.each(daemons)('%s, idle', (_label, bin, pre) => {
  const built = realComponent(`built ${pre[0] ?? bin}`, () =>
    existsSync(pre[0] ?? bin) ? undefined : 'not built (bash scripts/build.sh)',
  );

  built.test(
    'has loaded no module only some commands need, and collected its start-up garbage',
    async () => {
      await using dir = await tempBase();
      const preload = join(dir.path, 'preload.cjs');
      const modules = join(dir.path, 'modules');
      await writeFile(preload, PRELOAD);
      const base = join(dir.path, 'base');
      const proc = execa(bin, [...pre, '-base', base, '-nostdin', '-port', '0'], {
        reject: false,
        stdin: 'ignore',
        env: { NODE_OPTIONS: `-r ${preload}`, MM_TEST_MODULES: modules, MM_DEBUG_CODE_CACHE: '1' },
      });
      try {
        const c = await MinimegaClient.dial(join(base, 'minimega'), { waitMs: 20_000 });
        const loaded = async () => {
          await rm(modules, { force: true });
          proc.kill('SIGUSR2');
          for (let i = 0; i < 100 && !existsSync(modules); i++) await sleep(20);
          return (await readFile(modules, 'utf8')).split('\n');
        };
        // the collection loads `inspector` (not at start-up): wait for it
        let now = await loaded();
        for (let i = 0; i < 100 && !now.includes('NativeModule inspector'); i++) {
          await sleep(100);
          now = await loaded();
        }
        expect(now).toContain('NativeModule inspector');
        expect(LAZY.filter((m) => now.includes(`NativeModule ${m}`))).toEqual([]);
        // a command that needs one (`debug cpu`: inspector/promises) loads it then
        const prof = join(dir.path, 'cpu.cpuprofile');
        expect((await c.runAll(`debug cpu start ${prof}`)).map(replyErrors)).toEqual(['']);
        expect((await c.runAll('debug cpu stop')).map(replyErrors)).toEqual(['']);
        expect(JSON.parse(await readFile(prof, 'utf8'))).toHaveProperty('nodes');
        expect(await loaded()).toContain('NativeModule inspector/promises');
        await c.close();
      } finally {
        proc.kill('SIGTERM');
      }
      const { stderr } = await proc;
      // the node daemon's one file compiled with its build-time code cache
      if (bin === process.execPath)
        expect(stderr).toContain('minimega: code cache of ./daemon/start.cjs: accepted');
    },
    60_000,
  );
});
