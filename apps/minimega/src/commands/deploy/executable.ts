// Which file deploy copies: this process itself when it is the single
// executable (dist/minimega), else the checkout's dist/minimega next to the
// sources or build this daemon runs from (`node dist/main.js`, tsx).
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';

/** How a copy travels: compressed by one of these, decompressed on the host. */
export type Codec = 'zstd' | 'gzip';

export interface LocalExecutable {
  path: string;
  size: number;
  /** sha256, hex */
  sha256: string;
  /**
   * compressed copies made at build time (dist/minimega.zst, .gz), when they
   * belong to this very file: the copy then moves a third of the bytes
   */
  packed?: Partial<Record<Codec, { path: string; size: number }>>;
}

/** File suffix of each codec's build artifact. */
export const CODEC_SUFFIX: Record<Codec, string> = { zstd: '.zst', gzip: '.gz' };

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

/**
 * The compressed copies scripts/build-sea.sh leaves beside the executable:
 * used only when `<exe>.sha256` names this file's hash and they are not
 * older than it (a rebuilt executable never travels as a stale archive).
 */
async function findPacked(
  path: string,
  sha256: string,
  mtimeMs: number,
): Promise<LocalExecutable['packed']> {
  const recorded = await readFile(`${path}.sha256`, 'utf8').catch(() => '');
  if (recorded.trim().split(/\s+/)[0] !== sha256) return undefined;
  const packed: NonNullable<LocalExecutable['packed']> = {};
  for (const codec of Object.keys(CODEC_SUFFIX) as Codec[]) {
    const p = `${path}${CODEC_SUFFIX[codec]}`;
    const st = await stat(p).catch(() => undefined);
    if (st?.isFile() && st.mtimeMs >= mtimeMs) packed[codec] = { path: p, size: st.size };
  }
  return Object.keys(packed).length > 0 ? packed : undefined;
}

/** The sha256 build-sea.sh recorded in `<exe>.sha256`, when that record is not older than the file. */
async function recordedHash(path: string, mtimeMs: number): Promise<string | undefined> {
  const st = await stat(`${path}.sha256`).catch(() => undefined);
  if (!st || st.mtimeMs < mtimeMs) return undefined;
  const h = (await readFile(`${path}.sha256`, 'utf8').catch(() => '')).trim().split(/\s+/)[0];
  return h && /^[0-9a-f]{64}$/.test(h) ? h : undefined;
}

/** Size, sha256 and compressed copies of `path` (the hash cached while the file is unchanged). */
export async function describeExecutable(path: string): Promise<LocalExecutable> {
  const st = await stat(path);
  const hit = cache.get(path);
  let sha256: string;
  const recorded = await recordedHash(path, st.mtimeMs);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) {
    sha256 = hit.sha256;
  } else if (recorded) {
    // the build's own record, written after the file: no 85 MB to read on the first deploy
    sha256 = recorded;
  } else {
    const h = createHash('sha256');
    for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
    sha256 = h.digest('hex');
    cache.set(path, { mtimeMs: st.mtimeMs, size: st.size, sha256 });
  }
  const packed = await findPacked(path, sha256, st.mtimeMs);
  return { path, size: st.size, sha256, ...(packed ? { packed } : {}) };
}
