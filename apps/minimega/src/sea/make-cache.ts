// Build step of the single executable (scripts/build-sea.sh, plain Node):
//   node dist/sea/make-cache.cjs dist/sea/client.cjs dist/sea/client.cache
// Runs the client bundle once as `minimega -e echo hi` against a stand-in
// daemon, then saves V8's code cache of the bundle (entry/cache-after-run.ts
// says why after the run), which sea/main.ts hands back to V8.
import { readFileSync, writeFileSync } from 'node:fs';
import { Script } from 'node:vm';
import { cacheAfterOneRun } from '../entry/cache-after-run.js';
import { CLIENT_FILENAME, runClientBundle, wrapClient } from './client-wrapper.js';

async function main(): Promise<void> {
  const [src, out] = process.argv.slice(2);
  if (!src || !out) throw new Error('usage: make-cache.cjs CLIENT.cjs OUT.cache');
  const script = new Script(wrapClient(readFileSync(src, 'utf8')), { filename: CLIENT_FILENAME });
  writeFileSync(out, await cacheAfterOneRun(script, () => runClientBundle(script)));
}

main().catch((e: unknown) => {
  process.stderr.write(`make-cache: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
