// `vm config filesystem tar:X.tar.gz` (containers.md §1.4): a tarball with
// exactly one top-level directory is untarred once beside itself, and that
// directory becomes the value. Better than minimega: the extraction goes to
// a temporary directory renamed into place, so a crash or a second daemon
// never leaves (or reuses) a half-extracted tree.
import { randomBytes } from 'node:crypto';
import { access, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { ContainerFilesystemError } from './errors.js';

/** the single top-level entry of a tar listing, or an error naming the rule */
export function tarTopLevel(listing: string): string {
  const tops = new Set(
    listing
      .split('\n')
      .map((l) => l.replace(/^\.\//, '').replace(/\/+$/, '').split('/')[0] ?? '')
      .filter((l) => l !== '' && l !== '.'),
  );
  if (tops.size !== 1) {
    throw new ContainerFilesystemError('unable to handle tar without a single top-level directory');
  }
  return [...tops][0] as string;
}

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

/** Extracts `tarball` (an absolute path) once; returns `<its dir>/<top-level dir>`. */
export async function extractTarRoot(
  tarball: string,
  opts: { signal?: AbortSignal } = {},
): Promise<string> {
  const list = await execa('tar', ['-tf', tarball], { reject: false, cancelSignal: opts.signal });
  if (list.exitCode !== 0) {
    throw new ContainerFilesystemError(
      `tar: ${String(list.stderr).trim() || `exit status ${list.exitCode}`}`,
    );
  }
  const top = tarTopLevel(String(list.stdout));
  const dir = dirname(tarball);
  const dest = join(dir, top);
  if (await exists(dest)) return dest;
  const tmp = join(dir, `.untar-${top}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp, { recursive: true });
  try {
    const x = await execa('tar', ['-C', tmp, '-xf', tarball], {
      reject: false,
      cancelSignal: opts.signal,
    });
    if (x.exitCode !== 0) {
      throw new ContainerFilesystemError(
        `tar: ${String(x.stderr).trim() || `exit status ${x.exitCode}`}`,
      );
    }
    try {
      await rename(join(tmp, top), dest);
    } catch (err) {
      // another launch extracted it meanwhile: theirs is as good
      if (!(await exists(dest))) throw err;
    }
    return dest;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
