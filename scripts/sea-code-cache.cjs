// Writes V8's code cache of the single executable's daemon bundle:
//   node scripts/sea-code-cache.cjs dist/sea/daemon.cjs dist/sea/daemon.cache
// The executable compiles the bundle with it (tsup.sea.config.ts, heavy()):
// V8 deserializes instead of parsing ~2 MB of source at daemon start-up, so
// the parser's few MB of malloc'd memory, which glibc often cannot give back,
// are never taken. Run with the `node` the executable is made from; V8 uses
// the cache only for the same V8 version, source and flags, and otherwise
// compiles the source as if there were none.
const { readFileSync, writeFileSync } = require('node:fs');
const { setFlagsFromString } = require('node:v8');
const { compileFunction } = require('node:vm');

const [source, out] = process.argv.slice(2);
// the flags the daemon has set when it compiles the bundle
// (apps/minimega/src/heap.ts keepYoungGenerationSmall)
setFlagsFromString('--semi-space-growth-factor=1');
const fn = compileFunction(
  readFileSync(source, 'utf8'),
  ['exports', 'require', 'module', '__filename', '__dirname'],
  { filename: 'minimega-daemon.cjs', produceCachedData: true },
);
if (!fn.cachedDataProduced) throw new Error(`no code cache produced for ${source}`);
writeFileSync(out, fn.cachedData);
