// Local listing and deletion under the files directory (iomeshage.md §2).
import type { Stats } from 'node:fs';
import { lstat, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { glob } from './glob.js';
import { isWorkPath, relOf } from './paths.js';

export interface LocalEntry {
  /** absolute path */
  path: string;
  /** path relative to the base ('' for the base itself) */
  rel: string;
  dir: boolean;
  size: number;
  mtimeMs: number;
  /** permission bits */
  mode: number;
}

function entry(base: string, path: string, st: Stats): LocalEntry | undefined {
  const rel = relOf(base, path);
  if (rel === undefined || isWorkPath(rel)) return undefined;
  return {
    path,
    rel,
    dir: st.isDirectory(),
    size: st.size,
    mtimeMs: st.mtimeMs,
    mode: st.mode & 0o7777,
  };
}

async function children(base: string, dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names
    .sort()
    .map((n) => join(dir, n))
    .filter((p) => !isWorkPath(relOf(base, p) ?? ''));
}

/** Every entry below `dir` (not following directory symlinks); directories too when `dirs`. */
async function walk(base: string, dir: string, dirs: boolean, out: LocalEntry[]): Promise<void> {
  for (const p of await children(base, dir)) {
    const st = await stat(p);
    const e = entry(base, p, st);
    if (!e) continue;
    if (st.isDirectory()) {
      if (dirs) out.push(e);
      if ((await lstat(p)).isSymbolicLink()) continue;
      await walk(base, p, dirs, out);
    } else out.push(e);
  }
}

export interface ListOptions {
  /** list every file below matched directories (not the directories themselves) */
  recurse?: boolean;
  /** with recurse: also list the directories met (to recreate them with their modes) */
  dirs?: boolean;
}

/**
 * minimega's List(path, recurse): glob, stat each match (following symlinks;
 * a stat error is the error), a file is one entry, a directory its children
 * (recursive: every non-directory below it).
 */
export async function list(
  base: string,
  pattern: string,
  opts: ListOptions = {},
): Promise<LocalEntry[]> {
  const out: LocalEntry[] = [];
  for (const m of await glob(base, pattern)) {
    const st = await stat(m);
    if (!st.isDirectory()) {
      const e = entry(base, m, st);
      if (e) out.push(e);
      continue;
    }
    if (opts.recurse) {
      await walk(base, m, opts.dirs === true, out);
      continue;
    }
    for (const p of await children(base, m)) {
      const e = entry(base, p, await stat(p));
      if (e) out.push(e);
    }
  }
  return out;
}

/**
 * Remove every match of `pattern` recursively. The base itself is never
 * removed: `file delete /` (or `.`) empties it (minimega removed the base too,
 * so later transfers failed: spec sharp edge 5). In-progress transfers stay.
 */
export async function remove(base: string, pattern: string): Promise<string[]> {
  const removed: string[] = [];
  for (const m of await glob(base, pattern)) {
    if (m === base) {
      for (const p of await children(base, base)) {
        await rm(p, { recursive: true, force: true });
        removed.push(p);
      }
      continue;
    }
    await rm(m, { recursive: true, force: true });
    removed.push(m);
  }
  return removed;
}
