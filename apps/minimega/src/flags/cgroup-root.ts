// The `-cgroup` flag: where this host's cgroup controllers are mounted.
// Containers make their groups under it, and `nuke` looks for leftovers there.

export const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup';

/** The cgroup mount root the flags name (the default when unset or empty). */
export function cgroupRootOf(flags: Readonly<Record<string, unknown>>): string {
  const v = flags.cgroup;
  if (typeof v !== 'string' || v === '') return DEFAULT_CGROUP_ROOT;
  return v.replace(/\/+$/, '') || '/';
}

/** Why a `-cgroup` value is refused (undefined when it is usable). */
export function cgroupFlagProblem(flags: Readonly<Record<string, unknown>>): string | undefined {
  const v = flags.cgroup;
  if (typeof v === 'string' && v !== '' && !v.startsWith('/'))
    return `-cgroup: want the absolute path of the cgroup mount, got ${JSON.stringify(v)}`;
  return undefined;
}
