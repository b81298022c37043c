// plan(queue, hosts, policy): least-loaded-first placement (scheduler.md §2),
// pure: the inputs are never changed, the same inputs give the same plan.
import {
  AndroidSlotsError,
  CoscheduleError,
  DoesNotFitError,
  EmptyQueueError,
  NoHostsError,
  NonexistentColocateError,
  type SchedulerError,
  UnknownHostError,
} from './errors.js';
import { HostHeap } from './heap.js';
import {
  add,
  type Demand,
  type HostState,
  hostLoad,
  hostState,
  lessFor,
  shortfall,
} from './hosts.js';
import { describeNowhere, describePinned } from './shortfall.js';
import type { Assignment, HostLoad, Placement, Policy, QueuedVm } from './types.js';
import { validate } from './validate.js';

export type PlanResult<E extends QueuedVm = QueuedVm> =
  | { readonly ok: true; readonly placement: Placement<E> }
  | { readonly ok: false; readonly error: SchedulerError };

const DEFAULT_ANDROID_SLOTS = 64;

/** Places every queued VM on a host, or says why it cannot; never throws on bad input. */
export function plan<E extends QueuedVm>(
  queue: readonly E[],
  hosts: readonly HostLoad[],
  policy: Policy = {},
): PlanResult<E> {
  try {
    return { ok: true, placement: place(queue, hosts, policy) };
  } catch (e) {
    if (e instanceof Error && 'code' in e) return { ok: false, error: e as SchedulerError };
    throw e;
  }
}

/** plan() that throws the typed error instead of returning it. */
export function planOrThrow<E extends QueuedVm>(
  queue: readonly E[],
  hosts: readonly HostLoad[],
  policy: Policy = {},
): Placement<E> {
  const r = plan(queue, hosts, policy);
  if (!r.ok) throw r.error;
  return r.placement;
}

const isAndroid = (e: QueuedVm) => e.type === 'android';
const limitOf = (e: QueuedVm) =>
  e.coschedule === undefined || e.coschedule === -1 ? Infinity : e.coschedule + 1;

function launchedHost(policy: Policy, name: string): string | undefined {
  const l = policy.launched;
  if (!l) return undefined;
  if (l instanceof Map) return l.get(name);
  return Object.hasOwn(l, name) ? (l as Record<string, string>)[name] : undefined;
}

function place<E extends QueuedVm>(
  queue: readonly E[],
  hosts: readonly HostLoad[],
  policy: Policy,
): Placement<E> {
  if (hosts.length === 0) throw new NoHostsError();
  if (queue.length === 0) throw new EmptyQueueError();
  validate(queue, hosts, policy);
  const slots = policy.androidSlots ?? DEFAULT_ANDROID_SLOTS;
  const min = { cpu: Infinity, mem: Infinity };
  for (const e of queue) {
    if (e.vcpus < min.cpu) min.cpu = e.vcpus;
    if (e.memory < min.mem) min.mem = e.memory;
  }
  const state = hosts.map((h) => hostState(h, policy, min));
  const byName = new Map(state.map((h, i) => [h.name, i]));

  if (hosts.length === 1) {
    // minimega's single-host wording for Android overflow (scheduler.md §2.1);
    // every other check below runs whatever the number of hosts.
    const h = state[0] as HostState;
    let n = 0;
    for (const e of queue) if (isAndroid(e)) n += e.names.length;
    if (n > 0 && h.android + n > slots)
      throw AndroidSlotsError.singleHost(h.android + n, h.name, slots);
  }

  // Pins: `schedule`, else the host of a launched colocate anchor (§2.0).
  const pin: (number | undefined)[] = queue.map((e) => {
    let host = e.schedule || undefined;
    if (host === 'localhost' && policy.localHost) host = policy.localHost;
    if (host === undefined && e.colocate) host = launchedHost(policy, e.colocate);
    if (host === undefined) return undefined;
    const i = byName.get(host);
    if (i === undefined) throw new UnknownHostError(host);
    return i;
  });

  // Floating entries wait for their anchor to be placed (§2.2).
  const colocated = new Map<string, number[]>();
  for (let i = 0; i < queue.length; i++) {
    const c = (queue[i] as E).colocate;
    if (c && pin[i] === undefined) {
      const list = colocated.get(c);
      if (list) list.push(i);
      else colocated.set(c, [i]);
    }
  }
  const order = sortedEntries(queue, pin, state, colocated);

  const less = lessFor(policy.load ?? 'cpucommit');
  const heap = new HostHeap(state.length, (a, b) =>
    less(state[a] as HostState, state[b] as HostState),
  );
  const placed: Assignment<E>[][] = state.map(() => []);

  for (const index of order) {
    const entry = queue[index] as E;
    for (const name of entry.names) {
      const group = collectGroup(queue, index, name, colocated);
      const d = demandOf(queue, group);
      const h = chooseHost(pin[index], d, group, state, heap, slots);
      add(state[h] as HostState, d);
      heap.raised(h);
      const out = placed[h] as Assignment<E>[];
      for (const [i, n] of group) out.push({ entry: queue[i] as E, index: i, name: n });
    }
  }

  if (colocated.size > 0) throw new NonexistentColocateError([...colocated.keys()].sort());

  return {
    byHost: new Map(state.map((h, i) => [h.name, placed[i] as Assignment<E>[]])),
    hosts: state.map((s, i) => hostLoad(s, hosts[i] as HostLoad)),
  };
}

/**
 * Entries that are not floating, in placement order (§2.2 step 3): pinned
 * first (by host name), then tighter coschedule, then more VMs colocated on
 * them, then more names; ties keep queue order.
 */
function sortedEntries(
  queue: readonly QueuedVm[],
  pin: readonly (number | undefined)[],
  state: readonly HostState[],
  colocated: ReadonlyMap<string, number[]>,
): number[] {
  const pinName = (i: number) => {
    const p = pin[i];
    return p === undefined ? '' : (state[p] as HostState).name;
  };
  const coloc = queue.map((e) => {
    let n = 0;
    for (const name of e.names) n += colocated.get(name)?.length ?? 0;
    return n;
  });
  const order: number[] = [];
  for (let i = 0; i < queue.length; i++) {
    if (pin[i] !== undefined || !(queue[i] as QueuedVm).colocate) order.push(i);
  }
  const cos = (i: number) => limitOf(queue[i] as QueuedVm);
  return order.sort((a, b) => {
    const pa = pinName(a);
    const pb = pinName(b);
    if (pa !== pb) {
      if (pa === '' || pb === '') return pa === '' ? 1 : -1;
      return pa < pb ? -1 : 1;
    }
    const ca = cos(a);
    const cb = cos(b);
    if (ca !== cb) return ca < cb ? -1 : 1;
    const ka = coloc[a] as number;
    const kb = coloc[b] as number;
    if (ka !== kb) return kb - ka;
    const na = (queue[a] as QueuedVm).names.length;
    const nb = (queue[b] as QueuedVm).names.length;
    if (na !== nb) return nb - na;
    return a - b;
  });
}

/**
 * The VM and every floating VM colocated on it, recursively (chains), anchor
 * first. Taken out of `colocated` as they are collected, so cycles and
 * repeated names end.
 */
function collectGroup(
  queue: readonly QueuedVm[],
  index: number,
  name: string,
  colocated: Map<string, number[]>,
): [number, string][] {
  const group: [number, string][] = [[index, name]];
  for (let k = 0; k < group.length; k++) {
    const n = (group[k] as [number, string])[1];
    if (n === '') continue;
    const floating = colocated.get(n);
    if (!floating) continue;
    colocated.delete(n);
    for (const i of floating) for (const n2 of (queue[i] as QueuedVm).names) group.push([i, n2]);
  }
  return group;
}

function demandOf(queue: readonly QueuedVm[], group: readonly [number, string][]): Demand {
  const d: Demand = { vms: 0, cpu: 0, mem: 0, net: 0, android: 0, limit: Infinity };
  for (const [i] of group) {
    const e = queue[i] as QueuedVm;
    d.vms++;
    d.cpu += e.vcpus;
    d.mem += e.memory;
    d.net += e.nics;
    if (isAndroid(e)) d.android++;
    const l = limitOf(e);
    if (l < d.limit) d.limit = l;
  }
  return d;
}

/**
 * The pinned host, else the least-loaded host if the group fits there, else
 * the least-loaded host it fits on; when none fits, the error names why it
 * does not fit on the best candidate.
 */
function chooseHost(
  pinned: number | undefined,
  d: Demand,
  group: readonly [number, string][],
  state: readonly HostState[],
  heap: HostHeap,
  slots: number,
): number {
  if (pinned !== undefined) {
    const why = shortfall(state[pinned] as HostState, d, slots);
    if (why) throw unfit(why, state[pinned] as HostState, d, group, state, slots, true);
    return pinned;
  }
  const root = heap.root();
  const rootWhy = shortfall(state[root] as HostState, d, slots);
  if (!rootWhy) return root;
  const best = heap.find((h) => !shortfall(state[h] as HostState, d, slots));
  if (best === undefined)
    throw unfit(rootWhy, state[root] as HostState, d, group, state, slots, false);
  return best;
}

function unfit(
  why: NonNullable<ReturnType<typeof shortfall>>,
  h: HostState,
  d: Demand,
  group: readonly [number, string][],
  state: readonly HostState[],
  slots: number,
  pinned: boolean,
): SchedulerError {
  if (why === 'android') {
    return pinned
      ? AndroidSlotsError.host(h.name, d.android, h.android, slots)
      : AndroidSlotsError.anyHost(d.android, slots);
  }
  if (why === 'coschedule') return new CoscheduleError(h.name, Math.min(h.limit, d.limit));
  const [i, name] = group[0] as [number, string];
  const vm = name ? `vm ${name}` : `an unnamed VM (queue entry ${i})`;
  const text = pinned
    ? describePinned(why, h, d, vm)
    : describeNowhere(state, (s) => shortfall(s, d, slots), d, vm);
  return new DoesNotFitError(name, text);
}
