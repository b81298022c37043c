// A container's cgroups (containers.md §4): freezer for `vm stop`/`vm start`,
// memory and CPU limits, device rules. cgroup v1 (one hierarchy per
// controller, as on the target hosts) or v2 (one unified tree), chosen at run
// time from what is mounted. Node creates the groups and writes the limits
// before the shim starts; the shim only moves itself in (its cgroup.procs
// paths). Names are the caller's: `<root>/<controller>/<parent>/<name>`
// (v1) or `<root>/<parent>/<name>` (v2), so two daemons (or tests) on one
// host never share a group, unlike minimega's host-global `minimega/<id>`.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rmdir, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CgroupError, ContainerKillError, FreezerError } from './errors.js';

export type CgroupVersion = 1 | 2;

/** the v1 controllers a container uses (devices/cpu are optional) */
const V1_CONTROLLERS = ['freezer', 'memory', 'cpu', 'devices'] as const;

/** the device rules of minimega's shim (§4): null, zero, full, tty, random, urandom, mknod, pts... */
export const DEVICE_ALLOW = [
  'c 1:3 rwm',
  'c 1:5 rwm',
  'c 1:7 rwm',
  'c 5:0 rwm',
  'c 1:8 rwm',
  'c 1:9 rwm',
  'c 5:1 rwm',
  'c 5:2 rwm',
  'c 136:* rwm',
  'c 10:200 rwm',
] as const;

export interface CgroupSpec {
  /** cgroup mount root (default /sys/fs/cgroup) */
  root?: string;
  /** the daemon's group under each controller (default `minimega`) */
  parent?: string;
  /** this container's group */
  name: string;
  /** memory limit in MB (0 = none) */
  memoryMb: number;
  /** CPU bandwidth in whole CPUs (0 = none) */
  vcpus: number;
}

/** Which cgroup version `root` has mounted; throws when neither works. */
export function detectCgroupVersion(root = '/sys/fs/cgroup'): CgroupVersion {
  if (existsSync(join(root, 'freezer', 'tasks')) && existsSync(join(root, 'memory', 'tasks'))) {
    return 1;
  }
  if (existsSync(join(root, 'cgroup.controllers'))) return 2;
  throw new CgroupError(
    `cgroups are not initialized, cannot continue: no freezer+memory (v1) or cgroup2 mount at ${root}`,
  );
}

/** the v1 hierarchies this process belongs to (`/proc/self/cgroup`), as controller lists */
export function v1Hierarchies(procSelfCgroup: string): string[] {
  return procSelfCgroup
    .split('\n')
    .map((l) => l.split(':')[1] ?? '')
    .filter((c) => c !== '' && !c.startsWith('name='));
}

let mounting: Promise<void> | undefined;

/**
 * Makes the cgroup controllers visible at `/sys/fs/cgroup` when this process
 * runs in a mount namespace with a fresh /sys that hides them (`ip netns
 * exec` does that): a tmpfs and the kernel's existing v1 hierarchies are
 * mounted there, in this namespace only. Never touches a /sys/fs/cgroup that
 * is already a mount point.
 */
export function ensureCgroupMounts(root = '/sys/fs/cgroup'): Promise<void> {
  try {
    detectCgroupVersion(root);
    return Promise.resolve();
  } catch (err) {
    if (root !== '/sys/fs/cgroup') return Promise.reject(err);
    mounting ??= mountHidden(root, err as Error).finally(() => {
      mounting = undefined;
    });
    return mounting;
  }
}

async function mountHidden(root: string, why: Error): Promise<void> {
  const wanted = ['freezer', 'memory', 'cpu', 'devices'];
  const hier = v1Hierarchies(await readFile('/proc/self/cgroup', 'utf8').catch(() => '')).filter(
    (h) => h.split(',').some((c) => wanted.includes(c)),
  );
  if (hier.length === 0 || !existsSync(root)) throw why;
  const [a, b] = await Promise.all([stat(root), stat(dirname(root))]);
  if (a.dev !== b.dev) throw why; // a mount point already: not ours to change
  const { execa } = await import('execa');
  const mount = async (args: string[]) => {
    const r = await execa('mount', args, { reject: false });
    if (r.exitCode !== 0) throw new CgroupError(`cgroups: mount ${args.join(' ')}: ${r.stderr}`);
  };
  await mount(['-t', 'tmpfs', '-o', 'mode=755', 'cgroup_root', root]);
  for (const h of hier) {
    await mkdir(join(root, h), { recursive: true });
    await mount(['-t', 'cgroup', '-o', h, 'cgroup', join(root, h)]);
    for (const c of h.split(',')) {
      if (c !== h && !existsSync(join(root, c))) await symlink(h, join(root, c));
    }
  }
  detectCgroupVersion(root);
}

/** Why this host cannot run containers (undefined when it can): root, cgroups, tools. */
export function containerHostProblem(root = '/sys/fs/cgroup'): string | undefined {
  if (process.getuid?.() !== 0) return 'containers need root';
  try {
    if (v1Hierarchies(readFileSync('/proc/self/cgroup', 'utf8')).length === 0)
      detectCgroupVersion(root);
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

export interface ContainerCgroup {
  readonly version: CgroupVersion;
  /** every group dir made for this container */
  readonly dirs: readonly string[];
  /** the files the shim writes its own pid into */
  readonly procsFiles: readonly string[];
  /** freezes every task and waits until the kernel says FROZEN */
  freeze(signal?: AbortSignal): Promise<void>;
  /** thaws every task */
  thaw(): Promise<void>;
  /** host pids in the group */
  pids(): Promise<number[]>;
  /** true when the memory controller killed a task for the limit */
  oomKilled(): Promise<boolean>;
  /** SIGKILLs every task (thawed first) and waits until the group is empty */
  killAll(signal?: AbortSignal): Promise<void>;
  /** removes the group dirs (tasks must be gone) */
  remove(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function write(file: string, value: string): Promise<void> {
  await writeFile(file, value);
}

async function tryWrite(file: string, value: string): Promise<void> {
  await writeFile(file, value).catch(() => {});
}

/** Creates the container's groups and writes its limits. */
export async function createContainerCgroup(spec: CgroupSpec): Promise<ContainerCgroup> {
  const root = spec.root ?? '/sys/fs/cgroup';
  await ensureCgroupMounts(root);
  const parent = spec.parent ?? 'minimega';
  const version = detectCgroupVersion(root);
  const made: string[] = [];
  try {
    if (version === 1) return await createV1(root, parent, spec, made);
    return await createV2(root, parent, spec, made);
  } catch (err) {
    for (const d of made.reverse()) await rmdir(d).catch(() => {});
    if (err instanceof CgroupError) throw err;
    throw new CgroupError(`cgroups: ${(err as Error).message}`, { cause: err });
  }
}

async function createV1(
  root: string,
  parent: string,
  spec: CgroupSpec,
  made: string[],
): Promise<ContainerCgroup> {
  const dirs: Record<string, string> = {};
  for (const c of V1_CONTROLLERS) {
    if (!existsSync(join(root, c, 'tasks'))) continue;
    const p = join(root, c, parent);
    if (!existsSync(p)) {
      await mkdir(p, { recursive: true });
      if (c === 'memory') await tryWrite(join(p, 'memory.use_hierarchy'), '1');
    }
    const d = join(p, spec.name);
    await mkdir(d);
    made.push(d);
    dirs[c] = d;
  }
  const memory = dirs.memory as string;
  if (spec.memoryMb > 0) {
    await write(join(memory, 'memory.limit_in_bytes'), `${spec.memoryMb}M`);
    // swap would let a container outgrow its limit; hosts without swap
    // accounting lack the file
    if (existsSync(join(memory, 'memory.memsw.limit_in_bytes'))) {
      await tryWrite(join(memory, 'memory.memsw.limit_in_bytes'), `${spec.memoryMb}M`);
    }
  }
  if (dirs.cpu && spec.vcpus > 0) {
    await write(join(dirs.cpu, 'cpu.cfs_period_us'), '1000000');
    await write(join(dirs.cpu, 'cpu.cfs_quota_us'), String(spec.vcpus * 1000000));
  }
  if (dirs.devices) {
    await write(join(dirs.devices, 'devices.deny'), 'a');
    for (const rule of DEVICE_ALLOW) await write(join(dirs.devices, 'devices.allow'), rule);
  }
  return handleV1(Object.values(dirs));
}

/**
 * The groups a previous daemon made for a container (`-recover`): the same
 * operations over existing dirs (v1: one per controller, found by the
 * controller's name in the path; v2: the one dir).
 */
export function openContainerCgroup(
  version: CgroupVersion,
  dirs: readonly string[],
): ContainerCgroup {
  if (dirs.length === 0) throw new CgroupError('cgroups: no group dirs recorded');
  return version === 1 ? handleV1(dirs) : handleV2(dirs[0] as string);
}

function handleV1(all: readonly string[]): ContainerCgroup {
  const of = (c: string) => all.find((d) => d.split('/').includes(c));
  const freezer = of('freezer');
  const memory = of('memory');
  if (!freezer || !memory) throw new CgroupError('cgroups: no freezer or memory group');
  const pids = async () => readPids(join(freezer, 'cgroup.procs'));
  const thaw = () => write(join(freezer, 'freezer.state'), 'THAWED');
  return {
    version: 1,
    dirs: [...all],
    procsFiles: all.map((d) => join(d, 'cgroup.procs')),
    async freeze(signal) {
      await write(join(freezer, 'freezer.state'), 'FROZEN');
      // a v1 freezer can sit in FREEZING (tasks in D state): wait for the
      // kernel to confirm instead of assuming it (sharp edge 16)
      for (let i = 0; ; i++) {
        const s = (await readFile(join(freezer, 'freezer.state'), 'utf8')).trim();
        if (s === 'FROZEN') return;
        if (i > 500 || signal?.aborted) {
          throw new FreezerError(`freezer: still ${s} after 5s`);
        }
        await sleep(10);
      }
    },
    thaw,
    pids,
    async oomKilled() {
      const ctl = await readFile(join(memory, 'memory.oom_control'), 'utf8').catch(() => '');
      const m = /oom_kill (\d+)/.exec(ctl);
      if (m && Number(m[1]) > 0) return true;
      const fail = await readFile(join(memory, 'memory.failcnt'), 'utf8').catch(() => '0');
      return Number(fail.trim()) > 0 && /under_oom 1/.test(ctl);
    },
    async killAll(signal) {
      await killLoop(pids, thaw, signal);
    },
    async remove() {
      await removeDirs(all);
    },
  };
}

async function createV2(
  root: string,
  parent: string,
  spec: CgroupSpec,
  made: string[],
): Promise<ContainerCgroup> {
  const p = join(root, parent);
  if (!existsSync(p)) {
    await mkdir(p, { recursive: true });
  }
  // children of `parent` get the controllers only when parent delegates them
  await tryWrite(join(root, 'cgroup.subtree_control'), '+memory +cpu');
  await tryWrite(join(p, 'cgroup.subtree_control'), '+memory +cpu');
  const d = join(p, spec.name);
  await mkdir(d);
  made.push(d);
  if (spec.memoryMb > 0) {
    await write(join(d, 'memory.max'), `${spec.memoryMb}M`);
    await tryWrite(join(d, 'memory.swap.max'), '0');
  }
  if (spec.vcpus > 0) await write(join(d, 'cpu.max'), `${spec.vcpus * 1000000} 1000000`);
  // device rules need an eBPF program in v2: not set (documented in README)
  return handleV2(d);
}

function handleV2(d: string): ContainerCgroup {
  const pids = async () => readPids(join(d, 'cgroup.procs'));
  const thaw = () => write(join(d, 'cgroup.freeze'), '0');
  return {
    version: 2,
    dirs: [d],
    procsFiles: [join(d, 'cgroup.procs')],
    async freeze(signal) {
      await write(join(d, 'cgroup.freeze'), '1');
      for (let i = 0; ; i++) {
        const ev = await readFile(join(d, 'cgroup.events'), 'utf8');
        if (/^frozen 1$/m.test(ev)) return;
        if (i > 500 || signal?.aborted) throw new FreezerError('freezer: not frozen after 5s');
        await sleep(10);
      }
    },
    thaw,
    pids,
    async oomKilled() {
      const ev = await readFile(join(d, 'memory.events'), 'utf8').catch(() => '');
      const m = /^oom_kill (\d+)$/m.exec(ev);
      return !!m && Number(m[1]) > 0;
    },
    async killAll(signal) {
      if (existsSync(join(d, 'cgroup.kill'))) await tryWrite(join(d, 'cgroup.kill'), '1');
      await killLoop(pids, thaw, signal);
    },
    async remove() {
      await removeDirs([d]);
    },
  };
}

async function readPids(file: string): Promise<number[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number);
}

/** SIGKILL + thaw until the group is empty (frozen tasks cannot die). */
async function killLoop(
  pids: () => Promise<number[]>,
  thaw: () => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  for (let i = 0; ; i++) {
    const left = await pids();
    if (left.length === 0) return;
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await thaw().catch(() => {});
    if (signal?.aborted || i > 300) {
      throw new ContainerKillError(`waiting on ${left.length} tasks to exit`);
    }
    await sleep(i < 10 ? 5 : 20);
  }
}

/** rmdir each group, retrying briefly: the kernel frees a group a moment after its last task. */
async function removeDirs(dirs: readonly string[]): Promise<void> {
  for (const d of dirs) {
    for (let i = 0; ; i++) {
      try {
        await rmdir(d);
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        if (i > 100) throw new CgroupError(`unable to remove cgroup ${d}: ${code}`);
        await sleep(10);
      }
    }
  }
}

/** Removes this daemon's (empty) parent groups at shutdown; busy ones stay. */
export async function removeCgroupParent(
  root = '/sys/fs/cgroup',
  parent = 'minimega',
): Promise<void> {
  if (!existsSync(join(root, 'cgroup.controllers')) && !existsSync(join(root, 'freezer'))) return;
  const dirs = existsSync(join(root, 'cgroup.controllers'))
    ? [join(root, parent)]
    : V1_CONTROLLERS.map((c) => join(root, c, parent));
  for (const d of dirs) await rmdir(d).catch(() => {});
}
