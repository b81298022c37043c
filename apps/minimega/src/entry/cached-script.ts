// Compiles a built script with V8's code cache of it, made at build time
// (entry/make-cache.ts): V8 then deserializes the compiled functions instead
// of parsing and compiling the source at every start. V8 itself checks the
// cache against its version, its flags and the source's length, and rejects
// one that does not fit (another Node, another V8 flag, a truncated file):
// the script is then compiled from its source as if there were no cache.
import { readFileSync } from 'node:fs';
import { Script } from 'node:vm';

/** What became of the cache: V8 took it, refused it, or there was none. */
export type CodeCacheState = 'accepted' | 'rejected' | 'absent';

export interface CachedScript {
  script: Script;
  cache: CodeCacheState;
}

/** The code cache in `cacheFile`, or undefined when there is none (not built, or removed). */
export function readCodeCache(cacheFile: string): Buffer | undefined {
  try {
    return readFileSync(cacheFile);
  } catch {
    return undefined; // compiled from the source
  }
}

/** What V8 did with `cachedData` (`rejected`: its compile's cachedDataRejected). */
export function codeCacheState(
  cachedData: Buffer | undefined,
  rejected: boolean | undefined,
): CodeCacheState {
  return cachedData === undefined ? 'absent' : rejected ? 'rejected' : 'accepted';
}

/** `file` (the script's source, UTF-8) compiled with `cacheFile` when it exists and V8 takes it. */
export function compileCached(file: string, cacheFile: string): CachedScript {
  const cachedData = readCodeCache(cacheFile);
  const script = new Script(readFileSync(file, 'utf8'), { filename: file, cachedData });
  return { script, cache: codeCacheState(cachedData, script.cachedDataRejected) };
}
