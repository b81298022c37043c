// The planner's inputs and outputs: plain data, so a namespace can fill them
// from `host` stats gathered over the mesh and from its queue.
import { z } from 'zod';

/** How hosts are ranked (`ns load`, scheduler.md §1.3). */
export type LoadMethod = 'cpucommit' | 'memcommit' | 'netcommit';
export const LOAD_METHODS: readonly LoadMethod[] = ['cpucommit', 'memcommit', 'netcommit'];

/** One `vm launch` call waiting in the queue (scheduler.md §1.1). */
export interface QueuedVm {
  /** One entry per VM; `''` for a VM launched by count (named at launch time). */
  readonly names: readonly string[];
  /** `kvm`, `container` or `android`; only `android` counts against Android slots. */
  readonly type?: string;
  /** `vm config vcpus` (adds to CPU commit). */
  readonly vcpus: number;
  /** `vm config memory`, MB (adds to memory commit). */
  readonly memory: number;
  /** Number of NICs (`vm config net`; adds to network commit). */
  readonly nics: number;
  /** `vm config schedule`: pin to this host (`localhost` = policy.localHost). */
  readonly schedule?: string;
  /** `vm config colocate`: place on the host of this VM. */
  readonly colocate?: string;
  /** `vm config coschedule`: at most this many *other* VMs on the host; -1 (or absent) = unlimited. */
  readonly coschedule?: number;
}

/** One host's load before planning (the `host` command's figures, scheduler.md §1.2). */
export interface HostLoad {
  readonly name: string;
  /** Logical CPUs (≥ 1). */
  readonly cpus: number;
  /** MemTotal in MB (≥ 1). */
  readonly memTotal: number;
  /** VMs already on the host, every namespace and state. */
  readonly vms: number;
  readonly cpuCommit: number;
  readonly memCommit: number;
  readonly netCommit: number;
  /** Android VMs already building/running/paused there. */
  readonly androidVms?: number;
  /** Coschedule limit of the VMs already there: (smallest coschedule ≥ 0) + 1, or -1 / absent for none. */
  readonly limit?: number;
  /** This host's own cap on VMs (its `vmlimit`); 0 / absent = none. */
  readonly maxVms?: number;
  /** This host's own memory overcommit cap (as Policy.memOvercommit); takes precedence over the policy's. */
  readonly memOvercommit?: number;
}

/** Namespace settings and host capacity caps that steer a plan. */
export interface Policy {
  /** Ranking of hosts; default `cpucommit`. */
  readonly load?: LoadMethod;
  /** The name `localhost` stands for in `schedule` (the local host's name). */
  readonly localHost?: string;
  /**
   * VMs already launched in the namespace, name → host: a queued VM that
   * colocates with one of them is placed on that host (scheduler.md §2.0).
   */
  readonly launched?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  /** Max CPU commit per logical CPU on any host (e.g. 4 = 4 vCPUs per CPU); absent / 0 = no cap. */
  readonly cpuOvercommit?: number;
  /** Max memory commit per MB of MemTotal (1 = no overcommit); absent / 0 = no cap. */
  readonly memOvercommit?: number;
  /** Max VMs on any host; absent / 0 = no cap (a host's own `maxVms` applies too). */
  readonly maxVms?: number;
  /** Android VMs per host; default 64 (minimega's MaxAndroidVMsPerHost). */
  readonly androidSlots?: number;
}

/** One VM placed on a host. */
export interface Assignment<E extends QueuedVm = QueuedVm> {
  /** The queue entry the VM came from (the caller's own object, untouched). */
  readonly entry: E;
  /** Index of that entry in the queue given to plan(). */
  readonly index: number;
  /** The VM's name (`''` for a VM launched by count). */
  readonly name: string;
}

/** Where every queued VM goes. */
export interface Placement<E extends QueuedVm = QueuedVm> {
  /** Every input host, in input order, with its VMs in placement order (possibly none). */
  readonly byHost: ReadonlyMap<string, readonly Assignment<E>[]>;
  /**
   * The hosts' loads once these VMs run (limits included): pass them to the
   * next plan() to keep commits and coschedule limits across batches.
   */
  readonly hosts: readonly HostLoad[];
}

const count = z.number().int().nonnegative();

/** Validates a QueuedVm that crossed a boundary (mesh, file). */
export const QueuedVmSchema = z.object({
  names: z.array(z.string()).min(1),
  type: z.string().optional(),
  vcpus: count,
  memory: count,
  nics: count,
  schedule: z.string().optional(),
  colocate: z.string().optional(),
  coschedule: z.number().int().optional(),
});

/** Validates a HostLoad that crossed a boundary (a host's stats over the mesh). */
export const HostLoadSchema = z.object({
  name: z.string().min(1),
  cpus: z.number().int().positive(),
  memTotal: z.number().int().positive(),
  vms: count,
  cpuCommit: count,
  memCommit: count,
  netCommit: count,
  androidVms: count.optional(),
  limit: z.number().int().min(-1).optional(),
  maxVms: count.optional(),
  memOvercommit: z.number().nonnegative().optional(),
});
