// Mutable per-host tallies while planning, the "less loaded than" order
// (scheduler.md §1.3 plus a deterministic tie-break) and the capacity test.
import type { HostLoad, LoadMethod, Policy } from './types.js';

export interface HostState {
  readonly name: string;
  readonly cpus: number;
  readonly memTotal: number;
  vms: number;
  cpu: number;
  mem: number;
  net: number;
  android: number;
  /** coschedule limit, Infinity for none */
  limit: number;
  /** max VMs (host's own and policy's, the smaller), Infinity for none */
  readonly maxVms: number;
  /** CPU / memory commit caps from the overcommit ratios, Infinity for none */
  readonly cpuCap: number;
  readonly memCap: number;
  /** the smallest queued VM's vCPUs and memory: a host without that much left is full */
  readonly minCpu: number;
  readonly minMem: number;
}

/** What a VM and everything colocated on it add to a host. */
export interface Demand {
  vms: number;
  cpu: number;
  mem: number;
  net: number;
  android: number;
  /** smallest coschedule + 1 in the group, Infinity for none */
  limit: number;
}

export type Shortfall = 'android' | 'coschedule' | 'vms' | 'cpu' | 'mem';

const positiveOrInfinity = (n: number | undefined): number => (n && n > 0 ? n : Infinity);

export function hostState(
  h: HostLoad,
  policy: Policy,
  min: { cpu: number; mem: number },
): HostState {
  const cpuRatio = positiveOrInfinity(policy.cpuOvercommit);
  const memRatio = positiveOrInfinity(h.memOvercommit || policy.memOvercommit);
  return {
    name: h.name,
    cpus: h.cpus,
    memTotal: h.memTotal,
    vms: h.vms,
    cpu: h.cpuCommit,
    mem: h.memCommit,
    net: h.netCommit,
    android: h.androidVms ?? 0,
    limit: h.limit === undefined || h.limit === -1 ? Infinity : h.limit,
    maxVms: Math.min(positiveOrInfinity(h.maxVms), positiveOrInfinity(policy.maxVms)),
    cpuCap: cpuRatio * h.cpus,
    memCap: memRatio * h.memTotal,
    minCpu: min.cpu,
    minMem: min.mem,
  };
}

export function hostLoad(s: HostState, from: HostLoad): HostLoad {
  return {
    ...from,
    vms: s.vms,
    cpuCommit: s.cpu,
    memCommit: s.mem,
    netCommit: s.net,
    androidVms: s.android,
    limit: s.limit === Infinity ? -1 : s.limit,
  };
}

/**
 * Full hosts rank after every other host: minimega's coschedule fullness,
 * plus a host that cannot take even the smallest queued VM under its caps
 * (so the heap root stays a host with room).
 */
function full(h: HostState): boolean {
  return (
    h.vms >= h.limit ||
    h.vms >= h.maxVms ||
    h.cpu + h.minCpu > h.cpuCap ||
    h.mem + h.minMem > h.memCap
  );
}

/**
 * Strict total order "a is less loaded than b": fullness, then the load
 * method (ratios compared by cross-multiplication, exact on integers), then
 * fewer VMs, then the name, so a plan never depends on the hosts' order.
 */
export function lessFor(method: LoadMethod): (a: HostState, b: HostState) => boolean {
  const load =
    method === 'memcommit'
      ? (a: HostState, b: HostState) => a.mem * b.memTotal - b.mem * a.memTotal
      : method === 'netcommit'
        ? (a: HostState, b: HostState) => a.net - b.net
        : (a: HostState, b: HostState) => a.cpu * b.cpus - b.cpu * a.cpus;
  return (a, b) => {
    const fa = full(a);
    if (fa !== full(b)) return !fa;
    const d = load(a, b);
    if (d !== 0) return d < 0;
    if (a.vms !== b.vms) return a.vms < b.vms;
    return a.name < b.name;
  };
}

/** Why `d` does not fit on `h`, or undefined when it does. */
export function shortfall(h: HostState, d: Demand, androidSlots: number): Shortfall | undefined {
  if (d.android > 0 && h.android + d.android > androidSlots) return 'android';
  if (h.vms + d.vms > Math.min(h.limit, d.limit)) return 'coschedule';
  if (h.vms + d.vms > h.maxVms) return 'vms';
  if (h.cpu + d.cpu > h.cpuCap) return 'cpu';
  if (h.mem + d.mem > h.memCap) return 'mem';
  return undefined;
}

export function add(h: HostState, d: Demand): void {
  h.vms += d.vms;
  h.cpu += d.cpu;
  h.mem += d.mem;
  h.net += d.net;
  h.android += d.android;
  if (d.limit < h.limit) h.limit = d.limit;
}
