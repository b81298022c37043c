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
const { join } = require('node:path');
const { compileFunction } = require('node:vm');

const [source, out] = process.argv.slice(2);
// the flags the daemon has set when it compiles the bundle: heap.ts's
// DAEMON_START_FLAGS (read from its source, so the two never differ)
const heapTs = readFileSync(join(__dirname, '../apps/minimega/src/heap.ts'), 'utf8');
const flags = /DAEMON_START_FLAGS = '([^']*)'/.exec(heapTs)?.[1];
if (!flags) throw new Error('no DAEMON_START_FLAGS in apps/minimega/src/heap.ts');
setFlagsFromString(flags);
const fn = compileFunction(
  readFileSync(source, 'utf8'),
  ['exports', 'require', 'module', '__filename', '__dirname'],
  { filename: 'minimega-daemon.cjs', produceCachedData: true },
);
if (!fn.cachedDataProduced) throw new Error(`no code cache produced for ${source}`);
// what the executable does with it: a cache V8 rejects would be dead weight
const check = compileFunction(
  readFileSync(source, 'utf8'),
  ['exports', 'require', 'module', '__filename', '__dirname'],
  { filename: 'minimega-daemon.cjs', cachedData: fn.cachedData },
);
if (check.cachedDataRejected !== false) throw new Error(`V8 rejects the code cache of ${source}`);
writeFileSync(out, fn.cachedData);
