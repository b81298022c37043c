// The single executable (dist/minimega) for hosts that must not see the
// checkout or Node: built by scripts/build-sea.sh (a no-op when up to date).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { repoRoot } from './daemon-entry.js';

export const seaPath = join(repoRoot, 'dist/minimega');

/** Path of dist/minimega, building it first when missing or stale. */
export async function ensureSea(): Promise<string> {
  const r = await execa('bash', [join(repoRoot, 'scripts/build-sea.sh')], {
    reject: false,
    all: true,
  });
  if (r.exitCode !== 0 || !existsSync(seaPath)) {
    throw new Error(`scripts/build-sea.sh failed: ${String(r.all).trim()}`);
  }
  return seaPath;
}
