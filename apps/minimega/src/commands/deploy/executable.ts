// Which file deploy copies: this process itself when it is the single
// executable (dist/minimega), else the checkout's dist/minimega next to the
// sources or build this daemon runs from (`node dist/main.js`, tsx).
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';

export interface LocalExecutable {
  path: string;
  size: number;
  /** sha256, hex */
  sha256: string;
}

function isSea(): boolean {
  try {
    // node:sea exists from Node 20.12; require() is the built-in one inside the executable
    const req = typeof require === 'function' ? require : createRequire(process.cwd());
    return (req('node:sea') as { isSea(): boolean }).isSea();
  } catch {
    return false;
  }
}

/** The executable to deploy, or an error saying how to get one. */
export function findExecutable(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MM_DEPLOY_EXECUTABLE) return env.MM_DEPLOY_EXECUTABLE;
  if (isSea()) return process.execPath;
  // apps/minimega/{dist/main.js,src/main.ts} → <repo>/dist/minimega
  const script = process.argv[1];
  const candidate = script ? resolve(dirname(script), '../../../dist/minimega') : '';
  if (candidate && existsSync(candidate)) return candidate;
  throw new Error(
    `this minimega is not the single executable and ${candidate || 'dist/minimega'} does not exist: build it with scripts/build-sea.sh`,
  );
}

const cache = new Map<string, { mtimeMs: number; size: number; sha256: string }>();

/** Size and sha256 of `path` (cached while the file is unchanged). */
export async function describeExecutable(path: string): Promise<LocalExecutable> {
  const st = await stat(path);
  const hit = cache.get(path);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) {
    return { path, size: st.size, sha256: hit.sha256 };
  }
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  const sha256 = h.digest('hex');
  cache.set(path, { mtimeMs: st.mtimeMs, size: st.size, sha256 });
  return { path, size: st.size, sha256 };
}
