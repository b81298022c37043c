// The node daemon, dist/daemon/start.cjs (one bundled CommonJS file), loaded
// as the single executable loads its daemon asset: compiled with
// vm.compileFunction and V8's code cache of it, made at build time under the
// daemon's start-up V8 flags (scripts/sea-code-cache.cjs), so V8
// deserializes instead of parsing ~1.2 MB of source, and Node's ES module
// loader is never started (issue 13: -1.7 MB of idle RSS, -80 ms of CPU).
// V8 checks the cache against its version, its flags and the source, and
// compiles the source as if there were none when it does not fit.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { compileFunction } from 'node:vm';
import { type CodeCacheState, codeCacheState, readCodeCache } from './cached-script.js';

export interface CachedModule {
  exports: unknown;
  cache: CodeCacheState;
}

/**
 * Runs CommonJS `file` (all ASCII) compiled with `cacheFile` when it exists
 * and V8 takes it. Its require() is `require`, the entry's (resolving from
 * dist/, as the bundle was built to: tsup.config.ts; `node:module`'s
 * createRequire would load Node's ES module loader into every `-e`).
 */
export function requireCached(
  file: string,
  cacheFile: string,
  require: NodeJS.Require,
): CachedModule {
  const cachedData = readCodeCache(cacheFile);
  // latin1: the bundle is ASCII (daemon-bundle.ts asciiOnly), V8 keeps a one-byte string
  const run = compileFunction(
    readFileSync(file, 'latin1'),
    ['exports', 'require', 'module', '__filename', '__dirname'],
    { filename: file, cachedData },
  );
  const cache = codeCacheState(cachedData, run.cachedDataRejected);
  const mod = { exports: {} as unknown };
  run(mod.exports, require, mod, file, dirname(file));
  return { exports: mod.exports, cache };
}
