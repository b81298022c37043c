// Which files the daemon opens on a client's behalf (`read`, `vm hotplug add`).
// The daemon runs as root and its answers travel over the socket and the
// mesh, so a path is refused when it is one of:
// - not a regular file (a FIFO blocks the opener, /dev/zero never ends, a
//   directory or socket makes no sense): checked on the opened descriptor,
//   which is opened non-blocking, so a FIFO cannot hang the file thread pool;
// - under the pseudo-filesystems /proc, /sys and /dev;
// - the daemon's own private state: the -meshkey file, its pid file and
//   socket, the embedded OVS under <base>/ovs, and VM instance dirs <base>/<id>;
// - a well-known secret: /etc/shadow, /etc/gshadow (and their `-` backups),
//   /etc/sudoers(.d), SSH host keys in /etc/ssh, anything in a `.ssh` or
//   `.gnupg` directory.
// Symlinks are resolved first, and the path actually opened is checked again
// through /proc/self/fd, so a link or a swap cannot slip past the rules.
import { constants } from 'node:fs';
import { type FileHandle, open, readlink, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { DaemonFlags } from '../context.js';

export class PathRefusedError extends Error {
  readonly code = 'ERR_PATH_REFUSED' as const;
  constructor(
    readonly path: string,
    readonly why: string,
  ) {
    super(`refusing ${path}: ${why}`);
  }
}

export type FileUse = 'read' | 'hotplug';

const PSEUDO = ['/proc', '/sys', '/dev'];
const SECRETS = ['/etc/shadow', '/etc/shadow-', '/etc/gshadow', '/etc/gshadow-', '/etc/sudoers'];
const SECRET_DIRS = ['/etc/sudoers.d'];

const under = (path: string, dir: string) => {
  const r = relative(dir, path);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
};

/** Why the daemon must not hand out `real` (a resolved absolute path), or undefined. */
export function refusal(
  real: string,
  flags: Pick<DaemonFlags, 'base' | 'meshkey'>,
): string | undefined {
  for (const p of PSEUDO) if (under(real, p)) return `files under ${p} are not served`;
  if (SECRETS.includes(real) || SECRET_DIRS.some((d) => under(real, d))) return 'a system secret';
  if (under(real, '/etc/ssh') && /_key$/.test(real)) return 'an SSH host key';
  if (real.split(sep).some((c) => c === '.ssh' || c === '.gnupg')) return 'a key directory';
  if (flags.meshkey && real === resolve(flags.meshkey)) return 'the mesh key';
  const base = resolve(flags.base);
  if (under(real, base)) {
    const first = relative(base, real).split(sep)[0] ?? '';
    if (first === 'minimega' || first === 'minimega.pid') return "the daemon's own control files";
    if (first === 'ovs') return "the daemon's embedded Open vSwitch";
    if (/^\d+$/.test(first)) return 'a VM instance directory';
  }
  return undefined;
}

async function resolved(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return resolve(path); // missing: the open below gives the error
  }
}

function kind(mode: number): string {
  switch (mode & constants.S_IFMT) {
    case constants.S_IFIFO:
      return 'a FIFO';
    case constants.S_IFCHR:
      return 'a character device';
    case constants.S_IFBLK:
      return 'a block device';
    case constants.S_IFDIR:
      return 'a directory';
    case constants.S_IFSOCK:
      return 'a socket';
    default:
      return 'not a regular file';
  }
}

/**
 * Syntax a hotplug path may not carry, whichever host opens it: it goes into
 * a QEMU monitor command, where `,` starts an option. Undefined when fine.
 */
export function hotplugPathProblem(path: string): string | undefined {
  return /[,\u0000-\u001f\u007f]/.test(path)
    ? `refusing ${JSON.stringify(path)}: commas and control characters are not allowed`
    : undefined;
}

/**
 * Opens `path` for reading if the daemon may hand it out; the caller closes
 * the handle. Throws PathRefusedError (or the open's own error: ENOENT...).
 */
export async function openServed(
  path: string,
  use: FileUse,
  flags: Pick<DaemonFlags, 'base' | 'meshkey'>,
): Promise<{ handle: FileHandle; real: string }> {
  if (use === 'hotplug' && /[,\u0000-\u001f\u007f]/.test(path)) {
    // the path goes into a QEMU monitor command, where `,` starts an option
    throw new PathRefusedError(
      JSON.stringify(path),
      'commas and control characters are not allowed',
    );
  }
  const first = await resolved(path);
  const why = refusal(first, flags);
  if (why) throw new PathRefusedError(path, why);
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const real = await readlink(join('/proc/self/fd', String(handle.fd))).catch(() => first);
    const why2 = refusal(real, flags);
    if (why2) throw new PathRefusedError(path, why2);
    if (use === 'hotplug' && /[,\u0000-\u001f\u007f]/.test(real)) {
      throw new PathRefusedError(
        path,
        `it resolves to ${JSON.stringify(real)}: commas and control characters are not allowed`,
      );
    }
    const st = await handle.stat();
    if (!st.isFile()) throw new PathRefusedError(path, `${kind(st.mode)}, not a regular file`);
    return { handle, real };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/**
 * A file a VM is launched with (disk, cdrom, kernel, initrd): the same
 * refusals by path as `read` (secrets, the daemon's own files, /proc, /sys),
 * except that a block device under /dev may be a disk. A file that does not
 * exist is not refused here (QEMU says so). Returns the resolved path.
 */
export async function checkLaunchFile(
  path: string,
  flags: Pick<DaemonFlags, 'base' | 'meshkey'>,
): Promise<string> {
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    return path;
  }
  const why = refusal(real, flags);
  if (why === undefined) return real;
  if (under(real, '/dev') && (await stat(real).catch(() => undefined))?.isBlockDevice())
    return real;
  throw new PathRefusedError(path, why);
}

/** Checks `path` as openServed does and returns its resolved path (for a file handed to QEMU). */
export async function checkServed(
  path: string,
  use: FileUse,
  flags: Pick<DaemonFlags, 'base' | 'meshkey'>,
): Promise<string> {
  const { handle, real } = await openServed(path, use, flags);
  await handle.close();
  return real;
}
