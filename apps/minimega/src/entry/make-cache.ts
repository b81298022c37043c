// Build step of the node entry (apps/minimega's `build` script, after tsup):
//   node dist/build/make-cache.cjs
// Makes dist/ a CommonJS scope (dist/package.json: `node dist/main.js`
// starts without Node's ES module loader; the library's ES modules are .mjs),
// copies dist/main.cjs to dist/main.js, and writes dist/client.cache, V8's
// code cache of dist/client.cjs made after one real `-e`
// (entry/cache-after-run.ts). Run it without V8 flags (NODE_OPTIONS unset):
// V8 takes a cache only under the flags it was made with, and the build
// fails if a fresh `node dist/main.cjs` refuses it.
import { spawnSync } from 'node:child_process';
import { copyFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheAfterOneRun } from './cache-after-run.js';
import { compileCached } from './cached-script.js';
import { CLIENT_CACHE, CLIENT_FILE, runClient } from './client-bundle.js';

async function main(): Promise<void> {
  const dist = join(__dirname, '..');
  writeFileSync(join(dist, 'package.json'), '{ "type": "commonjs" }\n');
  copyFileSync(join(dist, 'main.cjs'), join(dist, 'main.js'));
  const file = join(dist, CLIENT_FILE);
  const out = join(dist, CLIENT_CACHE);
  const { script } = compileCached(file, `${out}.none`);
  const data = await cacheAfterOneRun(script, () =>
    runClient(script, file, require, () => Promise.reject(new Error('no daemon at build time'))),
  );
  writeFileSync(`${out}.tmp`, data);
  renameSync(`${out}.tmp`, out);
  // what a user's `node dist/main.js` does with it: a cache V8 refuses would be dead weight
  const env: NodeJS.ProcessEnv = { ...process.env, MM_DEBUG_CODE_CACHE: '1' };
  delete env.NODE_OPTIONS;
  const check = spawnSync(process.execPath, [join(dist, 'main.js'), '-version'], {
    env,
    encoding: 'utf8',
  });
  if (!check.stderr.includes('minimega: code cache accepted'))
    throw new Error(`node dist/main.js does not take dist/${CLIENT_CACHE}: ${check.stderr}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`make-cache: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
