// The namespace's launch queue and scheduler runs (namespace.md §8,
// scheduler.md §3): VMs are queued with a copy of the config, placed by a
// planner over the hosts' loads, and each host launches its share in
// parallel. Planning is transactional: a planning error leaves the queue as
// it was and launches nothing. No lock is held while hosts are asked for
// their load or launch (a host calling back into this node cannot deadlock).
import { cloneVmConfig, type HostLoad, type VmConfig, type VmRecord, type VmType } from '@mm/qemu';
import type { VmCluster } from './cluster.js';
import { type NamespaceInfo, slotKey } from './manager.js';

export type LoadMethod = 'cpucommit' | 'memcommit' | 'netcommit';

/** One `vm launch` call waiting in the queue. */
export interface QueuedEntry {
  /** names ('' = unnamed, named vm-N when launched) */
  names: string[];
  type: VmType;
  config: VmConfig;
}

export interface ScheduleStat {
  /** ms since the epoch */
  start: number;
  end: number;
  state: 'running' | 'completed';
  launched: number;
  failures: number;
  total: number;
  hosts: number;
}

export interface LaunchState {
  queue: QueuedEntry[];
  /** `ns schedule dry-run`'s placement, used once by the next schedule */
  assignment: Map<string, QueuedEntry[]> | undefined;
  stats: ScheduleStat[];
  load: LoadMethod;
  queueing: boolean;
  /** counter for unnamed VMs (`vm-N`) across the namespace */
  unnamed: number;
  /** bumped on every queue change (a schedule commits only the queue it planned) */
  version: number;
}

export const LAUNCH_STATE = slotKey<LaunchState>('namespace.launch', () => ({
  queue: [],
  assignment: undefined,
  stats: [],
  load: 'cpucommit',
  queueing: false,
  unnamed: 0,
  version: 0,
}));

export interface PlanPolicy {
  load: LoadMethod;
  /** what `localhost` stands for */
  localHost: string;
  /** VMs already launched in the namespace: name -> host (colocate anchors) */
  launched: Map<string, string>;
}

/** Places the queue on hosts; throws a typed error when it cannot (nothing is launched then). */
export type Planner = (
  queue: QueuedEntry[],
  hosts: HostLoad[],
  policy: PlanPolicy,
) => Map<string, QueuedEntry[]>;

/** One host's part of a launch: '' or its errors joined with newlines. */
export interface HostLaunchRow {
  host: string;
  launched: number;
  error: string;
}

export class LaunchError extends Error {
  constructor(
    readonly code:
      | 'ERR_NS_NO_HOSTS'
      | 'ERR_NS_EMPTY_QUEUE'
      | 'ERR_NS_QUEUED'
      | 'ERR_NS_EXISTS'
      | 'ERR_NS_QUEUE_CHANGED'
      | 'ERR_NS_SCHEDULER_RUNNING'
      | 'ERR_NS_DRY_RUN'
      | 'ERR_NS_TOO_MANY',
    message: string,
  ) {
    super(message);
    this.name = 'LaunchError';
  }
}

export interface LauncherOptions {
  cluster: VmCluster;
  planner: Planner;
  log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
  /** most VMs queued in one namespace at once, i.e. one launch (default 10,000) */
  maxQueued?: number;
}

export const DEFAULT_MAX_QUEUED = 10_000;

export interface Launcher {
  /** adds an entry to the queue after the namespace-wide name/UUID checks */
  enqueue(ns: NamespaceInfo, entry: QueuedEntry, existing: VmRecord[]): void;
  /** `vm launch TYPE NAMES`: queue, then (queueing off) schedule right away */
  launch(
    ns: NamespaceInfo,
    entry: QueuedEntry,
    existing: VmRecord[],
    opts?: { signal?: AbortSignal },
  ): Promise<HostLaunchRow[]>;
  /** `vm launch` / `ns schedule`: place the queue (or the dry run's placement) and launch it */
  schedule(ns: NamespaceInfo, opts?: { signal?: AbortSignal }): Promise<HostLaunchRow[]>;
  /** `ns schedule dry-run`: compute and keep a placement */
  dryRun(ns: NamespaceInfo, opts?: { signal?: AbortSignal }): Promise<Map<string, QueuedEntry[]>>;
  /** `ns schedule mv`: move VMs of the dry run's placement to `dst` */
  move(ns: NamespaceInfo, names: string[], dst: string): void;
}

export function createLauncher(opts: LauncherOptions): Launcher {
  const { cluster } = opts;
  const log = opts.log ?? (() => {});

  function enqueue(ns: NamespaceInfo, entry: QueuedEntry, existing: VmRecord[]): void {
    const st = ns.slot(LAUNCH_STATE);
    // refused before anything is checked against hosts, let alone started
    const max = opts.maxQueued ?? DEFAULT_MAX_QUEUED;
    const queued = st.queue.reduce((s, q) => s + q.names.length, 0);
    if (queued + entry.names.length > max) {
      throw new LaunchError(
        'ERR_NS_TOO_MANY',
        `cannot launch ${entry.names.length} VMs: more than ${max} in one launch${queued > 0 ? ` (${queued} already queued)` : ''}`,
      );
    }
    st.assignment = undefined;
    const uuid = entry.config.uuid;
    if (entry.names.length > 1 && uuid)
      throw new LaunchError(
        'ERR_NS_EXISTS',
        'cannot launch multiple VMs with a pre-configured UUID',
      );
    const names = new Set(existing.map((v) => v.name));
    for (const n of entry.names) {
      if (n !== '' && names.has(n))
        throw new LaunchError('ERR_NS_EXISTS', `vm already exists with name \`${n}\``);
    }
    if (uuid && existing.some((v) => v.uuid === uuid))
      throw new LaunchError('ERR_NS_EXISTS', `vm already exists with UUID \`${uuid}\``);
    for (const q of st.queue) {
      for (const n of entry.names) {
        if (n !== '' && q.names.includes(n))
          throw new LaunchError('ERR_NS_QUEUED', `vm already queued with name \`${n}\``);
      }
      if (uuid && q.config.uuid === uuid)
        throw new LaunchError('ERR_NS_QUEUED', `vm already queued with UUID \`${uuid}\``);
    }
    st.queue.push({
      names: [...entry.names],
      type: entry.type,
      config: cloneVmConfig(entry.config),
    });
    st.version++;
  }

  async function hostLoads(ns: NamespaceInfo, signal?: AbortSignal): Promise<HostLoad[]> {
    const res = await cluster.each(ns.hosts, (h) => h.stats(signal ? { signal } : {}));
    const loads: HostLoad[] = [];
    for (const r of res) {
      if (r.ok) loads.push({ ...r.value, name: r.host });
      else
        log(
          'warn',
          `unable to get stats of ${r.host}, not scheduling VMs on it: ${r.error.message}`,
        );
    }
    return loads;
  }

  async function plan(ns: NamespaceInfo, signal?: AbortSignal) {
    const st = ns.slot(LAUNCH_STATE);
    if (ns.hosts.size === 0)
      throw new LaunchError(
        'ERR_NS_NO_HOSTS',
        'namespace must contain at least one host to launch VMs',
      );
    if (st.queue.length === 0)
      throw new LaunchError(
        'ERR_NS_EMPTY_QUEUE',
        'namespace must contain at least one queued VM to launch VMs',
      );
    const version = st.version;
    const queue = st.queue.map((q) => ({ ...q, names: [...q.names] }));
    const [loads, vms] = await Promise.all([
      hostLoads(ns, signal),
      cluster.each(ns.hosts, (h) => h.list({ namespace: ns.name }, signal ? { signal } : {})),
    ]);
    const launched = new Map<string, string>();
    for (const r of vms) if (r.ok) for (const vm of r.value) launched.set(vm.name, r.host);
    const placement = opts.planner(queue, loads, {
      load: st.load,
      localHost: cluster.hostname,
      launched,
    });
    return { placement, version };
  }

  async function run(
    ns: NamespaceInfo,
    placement: Map<string, QueuedEntry[]>,
    signal?: AbortSignal,
  ): Promise<HostLaunchRow[]> {
    const st = ns.slot(LAUNCH_STATE);
    // names are given here, not on the hosts, so they are unique across the namespace
    const batches = new Map<string, QueuedEntry[]>();
    let total = 0;
    for (const [host, entries] of placement) {
      const named = entries.map((e) => ({
        ...e,
        names: e.names.map((n) => n || `vm-${st.unnamed++}`),
      }));
      total += named.reduce((s, e) => s + e.names.length, 0);
      if (named.length > 0) batches.set(host, mergeEntries(named));
    }
    const stat: ScheduleStat = {
      start: Date.now(),
      end: 0,
      state: 'running',
      launched: 0,
      failures: 0,
      total,
      hosts: ns.hosts.size,
    };
    st.stats.push(stat);
    try {
      const res = await cluster.each(batches.keys(), async (h, host) => {
        const errors: string[] = [];
        let launched = 0;
        for (const e of batches.get(host) ?? []) {
          const r = await h.launch(
            { namespace: ns.name, type: e.type, names: e.names, config: e.config },
            signal ? { signal } : {},
          );
          errors.push(...r.errors);
          launched += r.records.length - r.errors.length;
        }
        return { launched, errors };
      });
      return res.map((r) => {
        if (!r.ok) {
          stat.failures++;
          // the host's own refusal reads as it is; a host that could not be reached is named
          const own = r.error.code?.startsWith('ERR_VM') ?? false;
          const error = own ? r.error.message : `${r.host}: ${r.error.message}`;
          return { host: r.host, launched: 0, error };
        }
        if (r.value.errors.length > 0) stat.failures++;
        stat.launched += r.value.launched;
        return { host: r.host, launched: r.value.launched, error: r.value.errors.join('\n') };
      });
    } finally {
      stat.end = Date.now();
      stat.state = 'completed';
    }
  }

  async function schedule(ns: NamespaceInfo, o: { signal?: AbortSignal } = {}) {
    const st = ns.slot(LAUNCH_STATE);
    if (st.queue.length === 0 && !st.assignment)
      throw new LaunchError(
        'ERR_NS_EMPTY_QUEUE',
        'namespace must contain at least one queued VM to launch VMs',
      );
    let placement = st.assignment;
    let version = st.version;
    if (!placement) ({ placement, version } = await plan(ns, o.signal));
    if (st.version !== version)
      throw new LaunchError(
        'ERR_NS_QUEUE_CHANGED',
        'the queue changed while scheduling; run it again',
      );
    // commit: the queue is taken, the dry run used up
    st.queue = [];
    st.assignment = undefined;
    st.version++;
    return run(ns, placement, o.signal);
  }

  return {
    enqueue,
    async launch(ns, entry, existing, o = {}) {
      enqueue(ns, entry, existing);
      const st = ns.slot(LAUNCH_STATE);
      if (st.queueing) return [];
      // queueing off: schedule right away. A refused plan (it does not fit,
      // a bad colocate) takes this launch's entry back out of the queue:
      // minimega kept it, so every later `vm launch` failed the same way
      // until `ns flush`. Entries queued before (queueing on) stay.
      const added = st.queue[st.queue.length - 1];
      try {
        return await schedule(ns, o);
      } catch (err) {
        const i = added ? st.queue.indexOf(added) : -1;
        if (i >= 0) {
          st.queue.splice(i, 1);
          st.version++;
        }
        throw err;
      }
    },
    schedule,
    async dryRun(ns, o = {}) {
      const st = ns.slot(LAUNCH_STATE);
      const { placement } = await plan(ns, o.signal);
      st.assignment = placement;
      return placement;
    },
    move(ns, names, dst) {
      const st = ns.slot(LAUNCH_STATE);
      const a = st.assignment;
      if (!a) throw new LaunchError('ERR_NS_DRY_RUN', 'must run dry-run first');
      if (!ns.hosts.has(dst))
        throw new LaunchError('ERR_NS_DRY_RUN', 'new dst host is not in namespace');
      for (const name of names) {
        let moved = false;
        for (const [host, entries] of a) {
          const i = entries.findIndex((e) => e.names.includes(name));
          if (i < 0) continue;
          const e = entries[i]!;
          const list = a.get(dst) ?? [];
          if (e.names.length === 1) {
            entries.splice(i, 1);
            list.push(e);
          } else {
            list.push({ ...e, names: [name] });
            e.names = e.names.filter((n) => n !== name);
          }
          a.set(dst, list);
          if (entries.length === 0 && host !== dst) a.set(host, entries);
          moved = true;
          break;
        }
        if (!moved) throw new LaunchError('ERR_NS_DRY_RUN', `reassign ${name}: vm not found`);
      }
    },
  };
}

/** consecutive entries that share a config launch as one batch (one call per host, not per VM) */
function mergeEntries(entries: QueuedEntry[]): QueuedEntry[] {
  const out: QueuedEntry[] = [];
  for (const e of entries) {
    const last = out[out.length - 1];
    if (last && last.config === e.config && last.type === e.type) last.names.push(...e.names);
    else out.push({ ...e, names: [...e.names] });
  }
  return out;
}

/** scheduler.md §2.1: one host takes the whole queue, as it is. */
export function singleHostPlanner(
  queue: QueuedEntry[],
  hosts: HostLoad[],
): Map<string, QueuedEntry[]> {
  if (hosts.length === 0) throw new LaunchError('ERR_NS_NO_HOSTS', 'no hosts to schedule VMs on');
  if (hosts.length > 1) throw new LaunchError('ERR_NS_NO_HOSTS', 'no scheduler for several hosts');
  return new Map([[hosts[0]!.name, queue]]);
}
