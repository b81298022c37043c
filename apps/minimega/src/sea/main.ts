// The single executable's main script (scripts/build-sea.sh). It runs the
// client bundle (src/main.ts: flags, -e, -version; the SEA asset
// `client.cjs`) with a V8 code cache made at build time AFTER a real `-e`
// ran (sea/make-cache.ts), so the cache holds every function that
// `-e` calls, not only those V8 compiles eagerly (which is all the SEA's own
// "useCodeCache" keeps): `minimega -e` then compiles next to nothing of ours.
// A cache V8 rejects (another Node build) only costs that compile.
// (An embedded startup snapshot was tried and measured slower here: Node 20
// copies the snapshot out of the executable at every start, ~1,100 more page
// faults for -20 M instructions.)
import { getAsset, getRawAsset } from 'node:sea';
import { Script } from 'node:vm';
import { CLIENT_FILENAME, runClientBundle, wrapClient } from './client-wrapper.js';

function cachedData(): Uint8Array | undefined {
  try {
    // a view of the executable's own bytes, not a copy
    return new Uint8Array(getRawAsset('client.cache') as ArrayBuffer);
  } catch {
    return undefined;
  }
}

const script = new Script(wrapClient(getAsset('client.cjs', 'utf8')), {
  filename: CLIENT_FILENAME,
  cachedData: cachedData(),
});
runClientBundle(script);
