// Which minimega entry the hosts run: the built dist/main.js when it is newer
// than every source file it is built from (CI builds before testing; much
// cheaper to start), else the sources through tsx.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const appDir = join(repoRoot, 'apps/minimega');

function newestMtime(dir: string): number {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** node arguments that start the daemon entry (`MM_CLUSTER_ENTRY=src|dist` forces one). */
export function daemonEntry(): { args: string[]; kind: 'dist' | 'src' } {
  const dist = join(appDir, 'dist/main.js');
  const src = ['--conditions=source', '--import', 'tsx', join(appDir, 'src/main.ts')];
  const forced = process.env.MM_CLUSTER_ENTRY;
  if (forced === 'src' || !existsSync(dist)) return { args: src, kind: 'src' };
  if (forced === 'dist') return { args: [dist], kind: 'dist' };
  // the app's bundle and every package's dist must be newer than their sources
  const pkgs = readdirSync(join(repoRoot, 'packages')).map((p) => join(repoRoot, 'packages', p));
  const pairs: [string, string][] = [
    [join(appDir, 'src'), dist],
    ...pkgs.map((p): [string, string] => [join(p, 'src'), join(p, 'dist/index.js')]),
  ];
  const fresh = pairs.every(
    ([src, built]) =>
      !existsSync(src) || (existsSync(built) && newestMtime(src) < statSync(built).mtimeMs),
  );
  return fresh ? { args: [dist], kind: 'dist' } : { args: src, kind: 'src' };
}
