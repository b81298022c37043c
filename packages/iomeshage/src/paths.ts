// Paths of the files directory. Every path a user or a remote node gives is
// cleaned as `join(base, clean('/' + p))`, so `..` can never leave the base.
import { realpath } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';

/** Hidden directory under the base holding in-progress transfers (never listed or served by name). */
export const WORK_DIR = '.iomesh';

/** `p` relative to the base, cleaned: no leading `/`, no `..`, '' for the base itself. */
export function cleanRel(p: string): string {
  return posix.normalize(`/${p}`).replace(/^\/+/, '').replace(/\/+$/, '');
}

/** The absolute local path of `p` (minimega's cleanPath). */
export function cleanPath(base: string, p: string): string {
  const r = cleanRel(p);
  return r === '' ? base : join(base, r);
}

/** The path of `abs` relative to the base ('' for the base; undefined when outside it). */
export function relOf(base: string, abs: string): string | undefined {
  const r = relative(base, abs);
  if (r === '') return '';
  if (r === '..' || r.startsWith(`..${sep}`) || r.startsWith('/')) return undefined;
  return r.split(sep).join('/');
}

/** True for paths inside the transfer work directory (hidden from list, glob and serving by name). */
export function isWorkPath(rel: string): boolean {
  return rel === WORK_DIR || rel.startsWith(`${WORK_DIR}/`);
}

/**
 * Does `path`, symlinks resolved, stay inside the base? Files served to other
 * nodes must: a symlink to / under the files directory exposes nothing.
 */
export async function resolvesInside(base: string, path: string): Promise<boolean> {
  try {
    const [b, p] = await Promise.all([realpath(base), realpath(path)]);
    return relOf(b, p) !== undefined;
  } catch {
    return false;
  }
}
