// Property tests (fast-check): whatever the queue and hosts, a plan places
// every VM once, keeps pins, colocation, coschedule limits and caps, does not
// depend on host order, never throws, and matches a naive least-loaded-first
// reference where no constraint applies.
import {
  type HostLoad,
  type LoadMethod,
  type Placement,
  type Policy,
  plan,
  type QueuedVm,
} from '@mm/scheduler';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

const CODES = new Set([
  'ERR_NO_HOSTS',
  'ERR_EMPTY_QUEUE',
  'ERR_UNKNOWN_HOST',
  'ERR_COSCHEDULE',
  'ERR_NONEXISTENT_COLOCATE',
  'ERR_ANDROID_SLOTS',
  'ERR_DOES_NOT_FIT',
  'ERR_INVALID_INPUT',
]);

/** undefined four times out of five */
const rarely = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: 4 }, { arbitrary: a, weight: 1 });

const hostArb = (name: string): fc.Arbitrary<HostLoad> =>
  fc.record({
    name: fc.constant(name),
    cpus: fc.integer({ min: 1, max: 16 }),
    memTotal: fc.integer({ min: 1024, max: 65536 }),
    vms: fc.integer({ min: 0, max: 6 }),
    cpuCommit: fc.integer({ min: 0, max: 20 }),
    memCommit: fc.integer({ min: 0, max: 40000 }),
    netCommit: fc.integer({ min: 0, max: 10 }),
    androidVms: fc.integer({ min: 0, max: 3 }),
    limit: fc.oneof(
      { arbitrary: fc.constant(-1), weight: 3 },
      { arbitrary: fc.integer({ min: 1, max: 12 }), weight: 1 },
    ),
    maxVms: fc.oneof(fc.constant(0), fc.integer({ min: 4, max: 30 })),
  });

const hostsArb = fc
  .uniqueArray(fc.constantFrom('h0', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'mm1', 'node10'), {
    minLength: 1,
    maxLength: 6,
  })
  .chain((names) => fc.tuple(...names.map(hostArb)));

interface EntrySpec {
  count: number;
  vcpus: number;
  memory: number;
  nics: number;
  android: boolean;
  pin: number | undefined;
  colocate: number | undefined;
  coschedule: number;
}

const entrySpec: fc.Arbitrary<EntrySpec> = fc.record({
  count: fc.integer({ min: 1, max: 4 }),
  vcpus: fc.integer({ min: 0, max: 4 }),
  memory: fc.integer({ min: 0, max: 4096 }),
  nics: fc.integer({ min: 0, max: 3 }),
  android: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
  pin: rarely(fc.nat()),
  colocate: rarely(fc.nat()),
  coschedule: fc.oneof(
    { arbitrary: fc.constant(-1), weight: 4 },
    { arbitrary: fc.integer({ min: 0, max: 6 }), weight: 1 },
  ),
});

/** A queue over `hosts` with unique VM names; pins name a host or 'ghost', colocates name a VM or 'nope'. */
function buildQueue(specs: EntrySpec[], hosts: readonly HostLoad[]): QueuedVm[] {
  let n = 0;
  const names = specs.map((s) => Array.from({ length: s.count }, () => `vm${n++}`));
  return specs.map((s, i) => {
    const e: {
      names: string[];
      vcpus: number;
      memory: number;
      nics: number;
      type?: string;
      schedule?: string;
      colocate?: string;
      coschedule: number;
    } = {
      names: names[i] as string[],
      vcpus: s.vcpus,
      memory: s.memory,
      nics: s.nics,
      coschedule: s.coschedule,
    };
    if (s.android) e.type = 'android';
    if (s.pin !== undefined)
      e.schedule = s.pin % 9 === 8 ? 'ghost' : (hosts[s.pin % hosts.length] as HostLoad).name;
    else if (s.colocate !== undefined)
      e.colocate = s.colocate % 9 === 8 ? 'nope' : `vm${s.colocate % n}`;
    return e;
  });
}

const policyArb: fc.Arbitrary<Policy> = fc.record(
  {
    load: fc.constantFrom<LoadMethod>('cpucommit', 'memcommit', 'netcommit'),
    cpuOvercommit: fc.constantFrom(0, 1, 2, 4),
    memOvercommit: fc.constantFrom(0, 1, 1.5),
    maxVms: fc.constantFrom(0, 8, 20),
    androidSlots: fc.constantFrom(4, 64),
  },
  { requiredKeys: ['load'] },
);

const scenario = fc
  .tuple(hostsArb, fc.array(entrySpec, { minLength: 1, maxLength: 8 }), policyArb)
  .map(([hosts, specs, policy]) => ({ hosts, queue: buildQueue(specs, hosts), policy }));

function hostOf(p: Placement): Map<string, string> {
  const m = new Map<string, string>();
  for (const [h, list] of p.byHost) for (const a of list) m.set(a.name, h);
  return m;
}

function deepFreeze<T>(x: T): T {
  if (x && typeof x === 'object') {
    for (const v of Object.values(x)) deepFreeze(v);
    Object.freeze(x);
  }
  return x;
}

describe('plan() properties', () => {
  test('never throws, leaves its inputs alone, and errors carry a known code', () => {
    fc.assert(
      fc.property(scenario, ({ hosts, queue, policy }) => {
        const r = plan(deepFreeze(queue), deepFreeze(hosts), deepFreeze(policy));
        if (!r.ok) expect(CODES.has(r.error.code)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  test('a plan places every VM once and keeps pins, colocation, limits and caps', () => {
    let placed = 0;
    fc.assert(
      fc.property(scenario, ({ hosts, queue, policy }) => {
        const r = plan(queue, hosts, policy);
        if (!r.ok) return;
        placed++;
        const p = r.placement;
        const where = hostOf(p);
        expect(where.size).toBe(queue.reduce((s, e) => s + e.names.length, 0));
        expect([...p.byHost.keys()]).toEqual(hosts.map((h) => h.name));
        for (const e of queue) {
          for (const name of e.names) {
            if (e.schedule) expect(where.get(name)).toBe(e.schedule);
            else if (e.colocate) expect(where.get(name)).toBe(where.get(e.colocate));
          }
        }
        hosts.forEach((before, i) => {
          const list = p.byHost.get(before.name) ?? [];
          const after = p.hosts[i] as HostLoad;
          const sum = (f: (e: QueuedVm) => number) => list.reduce((s, a) => s + f(a.entry), 0);
          expect(after.vms).toBe(before.vms + list.length);
          expect(after.cpuCommit).toBe(before.cpuCommit + sum((e) => e.vcpus));
          expect(after.memCommit).toBe(before.memCommit + sum((e) => e.memory));
          expect(after.netCommit).toBe(before.netCommit + sum((e) => e.nics));
          if (list.length === 0) return;
          for (const a of list) {
            const c = a.entry.coschedule ?? -1;
            if (c !== -1) expect(after.vms).toBeLessThanOrEqual(c + 1);
          }
          if (before.limit !== undefined && before.limit !== -1)
            expect(after.vms).toBeLessThanOrEqual(before.limit);
          if (policy.maxVms) expect(after.vms).toBeLessThanOrEqual(policy.maxVms);
          if (before.maxVms) expect(after.vms).toBeLessThanOrEqual(before.maxVms);
          if (policy.cpuOvercommit)
            expect(after.cpuCommit).toBeLessThanOrEqual(policy.cpuOvercommit * before.cpus);
          if (policy.memOvercommit)
            expect(after.memCommit).toBeLessThanOrEqual(policy.memOvercommit * before.memTotal);
          expect(after.androidVms ?? 0).toBeLessThanOrEqual(policy.androidSlots ?? 64);
        });
      }),
      { numRuns: 400 },
    );
    expect(placed).toBeGreaterThan(40); // the generator does produce feasible queues
  });

  test('the order the hosts are given in changes nothing', () => {
    fc.assert(
      fc.property(
        scenario.chain((s) =>
          fc.shuffledSubarray(s.hosts, { minLength: s.hosts.length }).map((h) => ({ ...s, h })),
        ),
        ({ hosts, h: shuffled, queue, policy }) => {
          const a = plan(queue, hosts, policy);
          const b = plan(queue, shuffled, policy);
          expect(b.ok).toBe(a.ok);
          if (a.ok && b.ok) expect(hostOf(b.placement)).toEqual(hostOf(a.placement));
          if (!a.ok && !b.ok) expect(b.error.message).toBe(a.error.message);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('without constraints it is exactly least-loaded-first (naive reference)', () => {
    const free = fc.record({
      count: fc.integer({ min: 1, max: 6 }),
      vcpus: fc.integer({ min: 0, max: 4 }),
      memory: fc.integer({ min: 0, max: 4096 }),
      nics: fc.integer({ min: 0, max: 3 }),
    });
    fc.assert(
      fc.property(
        hostsArb.map((hs) => hs.map((h) => ({ ...h, limit: -1, maxVms: 0 }))),
        fc.array(free, { minLength: 1, maxLength: 8 }),
        fc.constantFrom<LoadMethod>('cpucommit', 'memcommit', 'netcommit'),
        (hosts, specs, load) => {
          let n = 0;
          const queue: QueuedVm[] = specs.map((s) => ({
            ...s,
            names: Array.from({ length: s.count }, () => `vm${n++}`),
          }));
          const r = plan(queue, hosts, { load });
          expect(r.ok).toBe(true);
          if (r.ok)
            expect(Object.fromEntries(hostOf(r.placement))).toEqual(reference(queue, hosts, load));
        },
      ),
      { numRuns: 300 },
    );
  });

  test('identical hosts get identical load: N groups of M identical VMs on M hosts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom<LoadMethod>('cpucommit', 'memcommit', 'netcommit'),
        hostArb('x'),
        (groups, m, load, proto) => {
          const hosts = Array.from({ length: m }, (_, i) => ({
            ...proto,
            name: `h${i}`,
            limit: -1,
            maxVms: 0,
          }));
          const queue = Array.from({ length: groups }, (_, g) => ({
            names: Array.from({ length: m }, (_, j) => `g${g}-${j}`),
            vcpus: g,
            memory: g * 100,
            nics: g % 3,
          }));
          const r = plan(queue, hosts, { load });
          expect(r.ok).toBe(true);
          if (!r.ok) return;
          const first = r.placement.hosts[0] as HostLoad;
          for (const h of r.placement.hosts) {
            expect([h.vms, h.cpuCommit, h.memCommit, h.netCommit]).toEqual([
              first.vms,
              first.cpuCommit,
              first.memCommit,
              first.netCommit,
            ]);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

/** Least-loaded-first the slow, obvious way: entries with more names first, each VM to the minimum host. */
function reference(
  queue: readonly QueuedVm[],
  hosts: readonly HostLoad[],
  load: LoadMethod,
): Record<string, string> {
  const hs = hosts.map((h) => ({ ...h }));
  const key = (h: HostLoad): [number, number] =>
    load === 'cpucommit'
      ? [h.cpuCommit, h.cpus]
      : load === 'memcommit'
        ? [h.memCommit, h.memTotal]
        : [h.netCommit, 1];
  const less = (a: HostLoad, b: HostLoad) => {
    const [an, ad] = key(a);
    const [bn, bd] = key(b);
    if (an * bd !== bn * ad) return an * bd < bn * ad;
    if (a.vms !== b.vms) return a.vms < b.vms;
    return a.name < b.name;
  };
  const order = queue
    .map((e, i) => ({ e, i }))
    .sort((a, b) => b.e.names.length - a.e.names.length || a.i - b.i);
  const out: Record<string, string> = {};
  for (const { e } of order) {
    for (const name of e.names) {
      let best = hs[0] as HostLoad;
      for (const h of hs) if (less(h, best)) best = h;
      out[name] = best.name;
      Object.assign(best, {
        vms: best.vms + 1,
        cpuCommit: best.cpuCommit + e.vcpus,
        memCommit: best.memCommit + e.memory,
        netCommit: best.netCommit + e.nics,
      });
    }
  }
  return out;
}
