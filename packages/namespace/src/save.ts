// `ns save NAME` (namespace.md §7): pause every VM of the namespace on
// every host, save each KVM's memory state and disk overlays next to a
// launch.mm script that relaunches them all. Unlike minimega it pauses the
// namespace's own VMs (not the caller's active namespace), keeps every disk
// (not just disk 0), refuses when a host cannot be read instead of saving
// part of the namespace silently, and returns only once every state file is
// complete on disk.
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { configFile, goQuote, printDiskspec, type VmRecord } from '@mm/qemu';
import type { VmCluster } from './cluster.js';
import { NamespaceError } from './errors.js';
import type { NamespaceInfo } from './manager.js';

export class NamespaceSaveError extends NamespaceError {
  declare readonly code: 'ERR_NS_SAVE';
  constructor(message: string) {
    super('ERR_NS_SAVE', message);
  }
}

export interface SaveNamespaceOptions {
  cluster: VmCluster;
  ns: NamespaceInfo;
  /** `ns queueing`: a saved queueing namespace relaunches with a bare `vm launch` */
  queueing: boolean;
  /** NAME as given: absolute, or under `<filesDir>/saved/` (then paths in launch.mm are `file:`) */
  name: string;
  /** `-filepath` */
  filesDir: string;
  signal?: AbortSignal;
  /** how often to ask hosts whether the state saves are done (ms, default 250) */
  pollMs?: number;
  /** called as VMs finish: saved so far, of how many */
  progress?: (done: number, total: number) => void;
  log?: (level: 'info' | 'warn', msg: string) => void;
}

export interface SaveNamespaceResult {
  dir: string;
  /** VMs whose state (and disks) were saved */
  saved: string[];
  /** containers and KVMs without a process: their config is in launch.mm, nothing on disk */
  configOnly: string[];
}

/** Where `ns save NAME` writes, and whether launch.mm names files through the files dir. */
export function saveDir(name: string, filesDir: string): { dir: string; viaFiles: boolean } {
  if (name.trim() === '') throw new NamespaceSaveError('saved namespace name must not be empty');
  if (isAbsolute(name)) return { dir: name, viaFiles: false };
  const dir = join(filesDir, 'saved', name);
  if (relative(join(filesDir, 'saved'), dir).startsWith('..'))
    throw new NamespaceSaveError(`saved namespace name leaves the saved directory: ${name}`);
  return { dir, viaFiles: true };
}

export async function saveNamespace(o: SaveNamespaceOptions): Promise<SaveNamespaceResult> {
  const { cluster, ns, signal } = o;
  const opts = signal ? { signal } : {};
  const { dir, viaFiles } = saveDir(o.name, o.filesDir);
  const exists = await stat(dir).then(
    () => true,
    () => false,
  );
  if (exists) throw new NamespaceSaveError('saved VM with this name already exists');

  // every VM of the namespace, from every host: a host that cannot answer
  // fails the save (minimega skipped it and saved the rest silently)
  const listed = await cluster.each(ns.hosts, (h) => h.list({ namespace: ns.name }, opts));
  const down = listed.find((r) => !r.ok);
  if (down && !down.ok)
    throw new NamespaceSaveError(`cannot list VMs on ${down.host}: ${down.error.message}`);
  const vms = listed.flatMap((r) => (r.ok ? r.value : [])).sort(byName);

  const stopped = await cluster.each(ns.hosts, (h) =>
    h.stop({ namespace: ns.name, targets: ['all'] }, opts),
  );
  const failed = stopped.find((r) => !r.ok);
  if (failed && !failed.ok)
    throw new NamespaceSaveError(`cannot pause VMs on ${failed.host}: ${failed.error.message}`);

  await mkdir(dir, { recursive: true, mode: 0o755 });
  // a KVM without a process (QUIT/ERROR) has no state to save: its config is kept
  const live = (vm: VmRecord) => ['BUILDING', 'RUNNING', 'PAUSED'].includes(vm.state);
  const kvms = vms.filter((vm) => vm.type === 'kvm' && live(vm));
  const base = (vm: VmRecord) => join(dir, vm.name);
  // saves on different hosts run at once; each host copies its own disks
  const total = kvms.length;
  let done = 0;
  await Promise.all(
    [...groupBy(kvms, (vm) => vm.host)].map(async ([host, list]) => {
      const h = cluster.host(host);
      for (const vm of list) {
        await h.save(
          { namespace: ns.name, name: vm.name },
          { state: `${base(vm)}.state`, disk: `${base(vm)}.hdd` },
          opts,
        );
      }
      await waitSaved(o, host, new Set(list.map((vm) => vm.name)), () => {
        done++;
        o.progress?.(done, total);
      });
    }),
  );

  const ref = (path: string) => (viaFiles ? `file:${relative(o.filesDir, path)}` : path);
  let text = `namespace ${goQuote(ns.name)}\n\nns queueing ${o.queueing}\n\n`;
  const configOnly: string[] = [];
  for (const vm of vms) {
    text += 'clear vm config\n';
    text += configFile(vm.config);
    if (vm.type === 'kvm' && live(vm)) {
      // each overlay's backup replaces its disk; disks without one (snapshot off) stay as they are
      const disks = vm.config.disks.map((d, i) =>
        vm.config.snapshot && d.snapshotPath
          ? { ...d, path: ref(i === 0 ? `${base(vm)}.hdd` : `${base(vm)}.hdd.${i}`) }
          : d,
      );
      text += `vm config state ${ref(`${base(vm)}.state`)}\n`;
      if (disks.length > 0) text += `vm config disks ${disks.map(printDiskspec).join(' ')}\n`;
    } else {
      const why = vm.type === 'kvm' ? `is ${vm.state}` : `is a ${vm.type}`;
      o.log?.('warn', `ns save: ${vm.name} ${why}: only its config is saved`);
      configOnly.push(vm.name);
    }
    text += `vm launch ${vm.type} ${goQuote(vm.name)}\n\n`;
  }
  if (o.queueing) text += 'vm launch\n';
  text +=
    'vm start all\n' +
    '# the save process saves the VMs in a paused state, so do a stop/start\n' +
    'shell sleep 10\n' +
    'vm stop all\n' +
    'vm start all\n';
  await writeFile(join(dir, 'launch.mm'), text);
  return { dir, saved: kvms.map((vm) => vm.name), configOnly };
}

/** Polls `host` until the state saves of `names` completed; a failed one fails the save. */
async function waitSaved(
  o: SaveNamespaceOptions,
  host: string,
  names: Set<string>,
  onDone: () => void,
): Promise<void> {
  const h = o.cluster.host(host);
  const pending = new Set(names);
  while (pending.size > 0) {
    const rows = await h.saveStatus(o.ns.name, o.signal ? { signal: o.signal } : {});
    for (const r of rows) {
      if (!pending.has(r.name)) continue;
      if (r.status === 'failed')
        throw new NamespaceSaveError(`saving the state of ${r.name} on ${host} failed`);
      if (r.status === 'completed') {
        pending.delete(r.name);
        onDone();
      }
    }
    if (pending.size > 0)
      await sleep(o.pollMs ?? 250, undefined, o.signal ? { signal: o.signal } : {});
  }
}

/** `ns save` with no name: saves of the namespace's VMs, done of all (namespace.md §7). */
export async function saveProgress(
  cluster: VmCluster,
  ns: NamespaceInfo,
  signal?: AbortSignal,
): Promise<{ completed: number; total: number }> {
  const res = await cluster.each(ns.hosts, (h) => h.saveStatus(ns.name, signal ? { signal } : {}));
  let completed = 0;
  let total = 0;
  for (const r of res) {
    if (!r.ok) throw r.error;
    for (const s of r.value) {
      total++;
      if (s.status === 'completed') completed++;
    }
  }
  return { completed, total };
}

function byName(a: VmRecord, b: VmRecord): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function groupBy<T, K>(items: T[], key: (t: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}
