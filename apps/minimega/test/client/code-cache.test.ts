// The node entry's build-time V8 code cache (src/entry/): `node dist/main.js`
// and `node dist/main.cjs` compile the client bundle from dist/client.cache
// under the flags Node runs with by default (the build checks it too), and a
// cache V8 refuses (other V8 flags, a damaged file) or a missing one costs
// only the compile: `-e` and the daemon still work. MM_DEBUG_CODE_CACHE=1
// makes the entry say what became of the cache.
import { existsSync } from 'node:fs';
import { copyFile, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect } from 'vitest';
import { realComponent } from '#test-support';
import { MinimegaClient } from '../../src/client/connection.js';
import { appDir, inProcessDaemon, tempBase } from '../helpers.js';

const dist = join(appDir, 'dist');
const built = realComponent('built node entry', () =>
  existsSync(join(dist, 'client.cache')) ? undefined : 'not built (bash scripts/build.sh)',
);

/** `node [flags] ENTRY args` with MM_DEBUG_CODE_CACHE=1 and no NODE_OPTIONS */
function node(entry: string, args: string[], flags: string[] = []) {
  return execa(process.execPath, [...flags, entry, ...args], {
    reject: false,
    stdin: 'ignore',
    extendEnv: false,
    env: { PATH: process.env.PATH ?? '', MM_DEBUG_CODE_CACHE: '1' },
  });
}

/** A copy of the node entry's files of dist/ (to damage or remove the cache of) */
async function entryCopy(dir: string): Promise<string> {
  for (const f of ['main.cjs', 'client.cjs', 'client.cache', 'package.json'])
    await copyFile(join(dist, f), join(dir, f));
  return join(dir, 'main.cjs');
}

describe('node entry code cache', () => {
  built.test.each(['main.js', 'main.cjs'])(
    'node dist/%s takes the cache under the shipped flags',
    async (entry) => {
      await using d = await inProcessDaemon();
      const r = await node(join(dist, entry), ['-base', d.base, '-e', 'echo', 'hi']);
      expect([r.exitCode, r.stdout, r.stderr]).toEqual([
        0,
        'testhost: hi',
        'minimega: code cache accepted',
      ]);
    },
  );

  built.test('dist/ is a CommonJS scope and main.js is main.cjs', async () => {
    expect(JSON.parse(await readFile(join(dist, 'package.json'), 'utf8'))).toEqual({
      type: 'commonjs',
    });
    expect(await readFile(join(dist, 'main.js'), 'utf8')).toBe(
      await readFile(join(dist, 'main.cjs'), 'utf8'),
    );
  });

  built.test('other V8 flags: V8 refuses the cache, -e compiles and works', async () => {
    await using d = await inProcessDaemon();
    // a V8 flag (not a Node option) changes V8's flag hash, which the cache carries
    const r = await node(
      join(dist, 'main.js'),
      ['-base', d.base, '-e', 'echo', 'hi'],
      ['--no-lazy-feedback-allocation'],
    );
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([
      0,
      'testhost: hi',
      'minimega: code cache rejected',
    ]);
  });

  built.test('a damaged or missing cache: -e compiles and works', async () => {
    await using d = await inProcessDaemon();
    await using copy = await tempBase();
    const main = await entryCopy(copy.path);
    const cache = join(copy.path, 'client.cache');
    await truncate(cache, 1000);
    const cut = await node(main, ['-base', d.base, '-e', 'echo', 'hi']);
    expect([cut.exitCode, cut.stdout, cut.stderr]).toEqual([
      0,
      'testhost: hi',
      'minimega: code cache rejected',
    ]);
    await writeFile(cache, 'not a code cache');
    const junk = await node(main, ['-base', d.base, '-e', 'echo', 'hi']);
    expect([junk.exitCode, junk.stdout, junk.stderr]).toEqual([
      0,
      'testhost: hi',
      'minimega: code cache rejected',
    ]);
    await rm(cache);
    const none = await node(main, ['-base', d.base, '-e', 'echo', 'hi']);
    expect([none.exitCode, none.stdout, none.stderr]).toEqual([
      0,
      'testhost: hi',
      'minimega: code cache absent',
    ]);
  });

  built.test(
    'the daemon starts through node dist/main.js (dist/daemon/start.cjs, with its code cache)',
    async () => {
      await using base = await tempBase();
      const daemon = execa(
        process.execPath,
        [join(dist, 'main.js'), '-base', base.path, '-nostdin', '-level', 'error'],
        { reject: false, stdin: 'ignore', env: { MM_DEBUG_CODE_CACHE: '' } },
      );
      try {
        const c = await MinimegaClient.dial(join(base.path, 'minimega'), { waitMs: 30_000 });
        const [reply] = await c.runAll('version');
        expect(reply?.Resp?.[0]?.Response).toMatch(/^minimega 2\./);
        await c.close();
        const r = await node(join(dist, 'main.js'), ['-base', base.path, '-e', 'quit']);
        expect([r.exitCode, r.stderr]).toEqual([0, 'minimega: code cache accepted']);
        expect((await daemon).exitCode).toBe(0);
      } finally {
        daemon.kill();
      }
    },
  );
});
