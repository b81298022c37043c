// `nuke`: remove everything a daemon family left under one -base, typically
// after a crash. Unlike the original it never trusts a pid file alone (a
// reused pid is not killed), never touches another base's taps or
// processes, keeps the files directory (disk images) unless `all` is asked,
// and reports what it removed. Each step runs even when an earlier one
// failed; failures are reported, not fatal.
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { stopPrivateOvsIn } from '@mm/ovs';
import { ensureCgroupMounts, readContainerMeta } from '@mm/qemu';
import { execa } from 'execa';
import { findInstances } from './instances.js';
import {
  isStartedProgram,
  listProcs,
  type ProcInfo,
  procInfo,
  signal,
  stillRuns,
  usesBase,
  waitGone,
} from './procs.js';

export interface NukeOptions {
  base: string;
  /** -filepath: kept unless `all` */
  filepath: string;
  /** also remove the files directory and everything else under base */
  all: boolean;
  /** pids never signalled (the daemon running the nuke) */
  spare?: number[];
  /** paths never removed (the live daemon's socket and pid file) */
  keep?: string[];
  /** cgroup filesystem root (default /sys/fs/cgroup) */
  cgroupRoot?: string;
  log?: (msg: string) => void;
}

export interface NukeItem {
  kind: 'process' | 'tap' | 'bridge' | 'ovs' | 'mount' | 'cgroup' | 'file';
  name: string;
  detail: string;
}

export interface NukeReport {
  removed: NukeItem[];
  errors: string[];
}

/** `nuke`'s answer as a table. */
export const NUKE_HEADER = ['kind', 'name', 'detail'];

async function run(argv: string[], timeoutMs = 10_000): Promise<string | undefined> {
  const r = await execa(argv[0]!, argv.slice(1), {
    reject: false,
    timeout: timeoutMs,
    stdin: 'ignore',
  });
  if (r.exitCode === 0) return undefined;
  return (r.stderr || r.shortMessage || `${argv[0]} failed`).trim();
}

/** Rows of a tab-aligned state file (`<base>/bridges`, `<base>/taps`), header skipped. */
async function tableRows(path: string): Promise<string[][]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((r) => r.length >= 2 && r[0] !== '');
}

/** /proc/mounts escapes spaces and friends as octal. */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
}

/** cgroup dirs of a process (v1 and v2), from /proc/<pid>/cgroup. */
async function cgroupsOf(pid: number, root: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const [, ctrls, path] = line.split(':');
    if (ctrls === undefined || path === undefined || path === '/') continue;
    if (ctrls === '') out.push(join(root, path));
    else
      for (const c of ctrls.split(',')) {
        const dir = join(root, c.replace(/^name=/, ''), path);
        if (existsSync(dir)) out.push(dir);
      }
  }
  return [...new Set(out)];
}

/** Thaws a container's groups and SIGKILLs every task in them. */
async function killCgroup(dirs: string[]): Promise<number[]> {
  const pids = new Set<number>();
  for (const d of dirs) {
    await writeFile(join(d, 'freezer.state'), 'THAWED').catch(() => {});
    await writeFile(join(d, 'cgroup.freeze'), '0').catch(() => {});
  }
  for (const d of dirs) {
    const procs = await readFile(join(d, 'cgroup.procs'), 'utf8').catch(() => '');
    for (const p of procs.split('\n').filter(Boolean)) pids.add(Number(p));
  }
  for (const p of pids) signal(p, 'SIGKILL');
  return [...pids];
}

/** rmdir, retried for a second: the kernel frees a group a moment after its last task exits. */
async function rmdirRetrying(dir: string): Promise<NodeJS.ErrnoException | undefined> {
  for (let i = 0; ; i++) {
    try {
      await rmdir(dir);
      return undefined;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code !== 'EBUSY' || i >= 50) return err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

function describe(p: ProcInfo): string {
  const vm = p.argv.indexOf('-name');
  return vm >= 0 ? `${p.comm} (vm id ${p.argv[vm + 1]})` : p.comm;
}

/** A path that must never be removed wholesale. */
function tooBroad(path: string): boolean {
  const abs = resolve(path);
  return abs.split(sep).filter(Boolean).length < 2;
}

export async function nukeBase(opts: NukeOptions): Promise<NukeReport> {
  const base = resolve(opts.base);
  const removed: NukeItem[] = [];
  const errors: string[] = [];
  const log = opts.log ?? (() => {});
  const spare = new Set([process.pid, ...(opts.spare ?? [])]);
  const keep = new Set((opts.keep ?? []).map((p) => resolve(p)));
  const cgroupRoot = opts.cgroupRoot ?? '/sys/fs/cgroup';
  const note = (item: NukeItem) => {
    removed.push(item);
    log(`nuke: removed ${item.kind} ${item.name}${item.detail ? ` (${item.detail})` : ''}`);
  };
  const fail = (msg: string) => {
    errors.push(msg);
    log(`nuke: ${msg}`);
  };

  const instances = await findInstances(base);

  // 1. processes: the VMs' (recorded pids that still are theirs), then any
  //    program a daemon starts that works inside this base
  const victims = new Map<number, ProcInfo>();
  const groups: string[] = [];
  if (instances.some((i) => i.record?.type === 'container')) {
    // a nuke in its own mount namespace (ip netns exec) sees no cgroups until it mounts them
    await ensureCgroupMounts(cgroupRoot).catch((e: Error) => fail(`cgroups: ${e.message}`));
    // the groups a container's driver recorded, also when its processes are gone
    for (const inst of instances) {
      const meta = await readContainerMeta(inst.dir);
      if (typeof meta !== 'string') groups.push(...meta.cgroup.dirs.filter((g) => existsSync(g)));
    }
  }
  for (const inst of instances) {
    for (const pid of [inst.record?.pid ?? 0, inst.qemuPid]) {
      const p = stillRuns(pid, inst.dir);
      if (!p || spare.has(p.pid)) continue;
      victims.set(p.pid, p);
      if (inst.record?.type === 'container') groups.push(...(await cgroupsOf(p.pid, cgroupRoot)));
    }
  }
  // the embedded OVS stops with --cleanup (its bridges go with it)
  const ovsDir = join(base, 'ovs');
  for (const p of listProcs()) {
    if (spare.has(p.pid) || !isStartedProgram(p) || !usesBase(p, base)) continue;
    if (/^ovs/.test(p.comm) && p.argv.some((a) => a.includes(`${ovsDir}/`))) continue;
    victims.set(p.pid, p);
  }
  if (groups.length > 0) {
    for (const pid of await killCgroup(groups)) {
      const p = victims.get(pid) ?? procInfo(pid);
      if (p && !spare.has(pid)) victims.set(pid, p);
    }
  }
  for (const p of victims.values()) signal(p.pid, 'SIGTERM');
  await Promise.all(
    [...victims.values()].map(async (p) => {
      if (!(await waitGone(p.pid, 1000))) {
        signal(p.pid, 'SIGKILL');
        if (!(await waitGone(p.pid, 3000))) {
          fail(`unable to kill ${describe(p)} (pid ${p.pid})`);
          return;
        }
      }
      note({ kind: 'process', name: String(p.pid), detail: describe(p) });
    }),
  );
  for (const g of [...new Set(groups)].sort((a, b) => b.length - a.length)) {
    const err = await rmdirRetrying(g);
    if (err === undefined) note({ kind: 'cgroup', name: g, detail: '' });
    else if (err.code !== 'ENOENT') fail(`unable to remove cgroup ${g}: ${err.message}`);
  }

  // 2. the embedded Open vSwitch (and with it the bridges it held)
  try {
    for (const s of await stopPrivateOvsIn(ovsDir))
      note({ kind: 'ovs', name: ovsDir, detail: `stopped ${s}` });
  } catch (e) {
    fail(`unable to stop the embedded Open vSwitch in ${ovsDir}: ${(e as Error).message}`);
  }

  // 3. bridges minimega created (not pre-existing ones) and taps it recorded
  const bridges = (await tableRows(join(base, 'bridges')))
    .filter((r) => r[1] === 'false')
    .map((r) => r[0]!);
  const hostTaps = (await tableRows(join(base, 'taps'))).map((r) => r[1]!).filter(Boolean);
  const taps = [...new Set([...instances.flatMap((i) => i.taps), ...hostTaps])];
  const vsctlSocket = join(process.env.OVS_RUNDIR ?? '/var/run/openvswitch', 'db.sock');
  if (existsSync(vsctlSocket) && (bridges.length > 0 || taps.length > 0)) {
    // a system OVS: drop the ports and bridges from its database
    const args = [
      ...taps.flatMap((t) => ['--', '--if-exists', 'del-port', t]),
      ...bridges.flatMap((b) => ['--', '--if-exists', 'del-br', b]),
    ];
    const err = await run(['ovs-vsctl', '--timeout=10', ...args]);
    if (err) fail(`ovs-vsctl: ${err}`);
    else for (const b of bridges) note({ kind: 'bridge', name: b, detail: 'Open vSwitch' });
  }
  for (const dev of [...taps, ...bridges]) {
    if (!existsSync(join('/sys/class/net', dev))) continue;
    const err = await run(['ip', 'link', 'del', dev]);
    if (err) fail(`unable to remove ${dev}: ${err}`);
    else note({ kind: taps.includes(dev) ? 'tap' : 'bridge', name: dev, detail: 'link' });
  }

  // 4. mounts inside the base (container roots, cc mounts), deepest first
  try {
    const mounts = (await readFile('/proc/mounts', 'utf8'))
      .split('\n')
      .map((l) => unescapeMount(l.split(' ')[1] ?? ''))
      .filter((m) => m.startsWith(`${base}/`))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) {
      const err = await run(['umount', '-l', m]);
      if (err) fail(`unable to unmount ${m}: ${err}`);
      else note({ kind: 'mount', name: m, detail: '' });
    }
  } catch (e) {
    fail(`unable to read /proc/mounts: ${(e as Error).message}`);
  }

  // 5. files: instance dirs and state; the files dir only with `all`
  const filesDir = resolve(opts.filepath);
  let entries: string[] = [];
  try {
    entries = await readdir(base);
  } catch {
    // no base: nothing left to remove
  }
  const state = new Set([
    'namespaces',
    'ovs',
    'bridges',
    'taps',
    'vlans',
    'minimega.pid',
    'minimega',
  ]);
  for (const e of entries.sort()) {
    const path = join(base, e);
    if (keep.has(path)) continue;
    const isFiles = path === filesDir || filesDir.startsWith(`${path}${sep}`);
    const wanted = opts.all
      ? true
      : !isFiles && (/^\d+$/.test(e) || state.has(e) || /^dnsmasq_/.test(e) || /\.tmp$/.test(e));
    if (!wanted) continue;
    try {
      await rm(path, { recursive: true, force: true });
      note({ kind: 'file', name: path, detail: /^\d+$/.test(e) ? 'instance dir' : '' });
    } catch (err) {
      fail(`unable to remove ${path}: ${(err as Error).message}`);
    }
  }
  if (opts.all && !filesDir.startsWith(`${base}${sep}`) && existsSync(filesDir)) {
    if (tooBroad(filesDir)) fail(`not removing files directory ${filesDir}: too broad a path`);
    else {
      await rm(filesDir, { recursive: true, force: true });
      note({ kind: 'file', name: filesDir, detail: 'files directory' });
    }
  }
  if (opts.all && keep.size === 0 && existsSync(base) && relative('/', base) !== '') {
    await rmdir(base).catch(() => {});
  }
  return { removed, errors };
}
