// The spec's worked examples (scheduler.md §4), minimega's scheduler_test.go
// cases and every error of the catalogue (§5).
import {
  AndroidSlotsError,
  CoscheduleError,
  DoesNotFitError,
  EmptyQueueError,
  InvalidInputError,
  NoHostsError,
  NonexistentColocateError,
  plan,
  planOrThrow,
  type QueuedVm,
  UnknownHostError,
} from '@mm/scheduler';
import { describe, expect, test } from 'vitest';
import { fakeHosts, host, names, vms } from './helpers.js';

const threeVms = () => [vms('a,b,c', { coschedule: 0 })];

function error(r: ReturnType<typeof plan>) {
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(names(r.placement))}`);
  return r.error;
}

describe('worked examples (scheduler.md §4)', () => {
  test('1: cpucommit, no limits', () => {
    const hosts = [
      host('A', { cpus: 8, cpuCommit: 3 }),
      host('B', { cpus: 4 }),
      host('C', { cpus: 16, cpuCommit: 11 }),
    ];
    const p = planOrThrow([vms('x,y,z,w', { vcpus: 2 })], hosts);
    expect(names(p)).toEqual({ B: ['x', 'z'], A: ['y', 'w'] });
    expect(p.hosts.map((h) => h.cpuCommit)).toEqual([7, 4, 11]);
    expect(p.byHost.get('C')).toEqual([]);
  });

  test('2: memcommit', () => {
    const hosts = [
      host('A', { memTotal: 64000, memCommit: 16000 }),
      host('B', { memTotal: 32000, memCommit: 4000 }),
    ];
    const p = planOrThrow(
      [vms('big', { memory: 16000 }), vms('small1,small2', { memory: 2048 })],
      hosts,
      {
        load: 'memcommit',
      },
    );
    expect(names(p)).toEqual({ A: ['big'], B: ['small1', 'small2'] });
  });

  test('3: coschedule and the fullness rule', () => {
    const queue = [vms('a,b,c', { coschedule: 0 }), vms('d', { coschedule: -1 })];
    const three = [host('H1'), host('H2'), host('H3')];
    const e = error(plan(queue, three));
    expect(e).toBeInstanceOf(CoscheduleError);
    expect(e.message).toMatch(/^too many VMs scheduled on H[123] for coschedule requirement of 1$/);
    const p = planOrThrow(queue, [...three, host('H4')]);
    expect(names(p)).toEqual({ H1: ['a'], H2: ['b'], H3: ['c'], H4: ['d'] });
  });

  test('3b: a host whose VMs carry a limit is full at that limit', () => {
    const hosts = [host('a', { vms: 3, limit: 3 }), host('b', { vms: 5, cpuCommit: 5 })];
    const p = planOrThrow([vms('x')], hosts);
    expect(names(p)).toEqual({ b: ['x'] });
  });

  test('4: colocate chain on a pinned anchor', () => {
    const queue: QueuedVm[] = [vms('vm-0', { schedule: '0' })];
    for (let i = 1; i < 10; i++) queue.push(vms(`vm-${i}`, { colocate: `vm-${i - 1}` }));
    const p = planOrThrow(queue, fakeHosts(2, true));
    expect(names(p)).toEqual({ '0': Array.from({ length: 10 }, (_, i) => `vm-${i}`) });
  });

  test('4b: chain given in reverse order, anchors unpinned', () => {
    const queue = [vms('c', { colocate: 'b' }), vms('b', { colocate: 'a' }), vms('a')];
    const p = planOrThrow(queue, [host('h1'), host('h2')]);
    expect(names(p)).toEqual({ h1: ['a', 'b', 'c'] });
  });
});

describe('scheduler_test.go', () => {
  test('TestScheduleImpossible / Exact / Easy', () => {
    expect(error(plan(threeVms(), fakeHosts(2, false)))).toBeInstanceOf(CoscheduleError);
    expect(plan(threeVms(), fakeHosts(3, false)).ok).toBe(true);
    expect(plan(threeVms(), fakeHosts(4, false)).ok).toBe(true);
  });

  test('TestScheduleHost: the pinned VM is alone on its host', () => {
    const p = planOrThrow(
      [...threeVms(), vms('picky', { schedule: '0', coschedule: 0 })],
      fakeHosts(4, false),
    );
    expect(names(p)['0']).toEqual(['picky']);
  });

  test('TestScheduleBig: the coschedule-0 VMs stay alone', () => {
    const p = planOrThrow(
      [
        vms(Array.from({ length: 1000 }, (_, i) => String(i))),
        vms('picky', { schedule: '0', coschedule: 0 }),
        vms('lesspicky', { coschedule: 0 }),
        vms('ice,fire', { coschedule: 1 }),
      ],
      fakeHosts(40, false),
    );
    for (const list of p.byHost.values()) {
      const ns = list.map((a) => a.name);
      if (ns.some((n) => n.includes('picky'))) expect(ns).toHaveLength(1);
      if (ns.includes('ice') || ns.includes('fire')) expect(ns.length).toBeLessThanOrEqual(2);
    }
  });

  test.each(['cpucommit', 'memcommit', 'netcommit'] as const)(
    'TestScheduleUniformity (%s)',
    (load) => {
      const queue = Array.from({ length: 10 }, (_, i) =>
        vms(Array(10).fill(String(i)), { vcpus: i, memory: i, nics: i }),
      );
      const p = planOrThrow(queue, fakeHosts(10, true), { load });
      const want = 45; // 0 + 1 + ... + 9
      for (const h of p.hosts) {
        expect(h.cpuCommit - 1).toBe(want);
        expect(h.memCommit - 1).toBe(want);
        expect(h.netCommit - 1).toBe(want);
        expect(h.vms).toBe(10); // and equal VM counts, also for the 0-vCPU VMs
      }
    },
  );

  test('TestColocateError', () => {
    const two = () => fakeHosts(2, true);
    const a = (o: Partial<QueuedVm> = {}) => vms('a', { schedule: '0', ...o });
    const b = (o: Partial<QueuedVm> = {}) => vms('b', { colocate: 'a', ...o });
    expect(error(plan([a({ coschedule: 0 }), b()], two()))).toBeInstanceOf(CoscheduleError);
    expect(plan([a(), b()], two()).ok).toBe(true);
    expect(error(plan([a(), b({ coschedule: 0 })], two()))).toBeInstanceOf(CoscheduleError);
    const e = error(plan([a(), b({ colocate: 'c' })], two()));
    expect(e).toBeInstanceOf(NonexistentColocateError);
    expect(e.message).toBe('nonexistent colocate VMs: [c]');
  });

  test('Android capacity: single host, multi host, existing VMs, exact', () => {
    const android = (n: number) =>
      vms(
        Array.from({ length: n }, (_, i) => String(i)),
        { type: 'android' },
      );
    const e = error(plan([android(65)], fakeHosts(1, true)));
    expect(e).toBeInstanceOf(AndroidSlotsError);
    expect(e.message).toBe(
      'cannot schedule 65 Android VMs on host 0; each host supports at most 64 concurrent Android VMs',
    );
    const p = planOrThrow([android(128)], fakeHosts(2, true));
    for (const list of p.byHost.values()) expect(list).toHaveLength(64);
    expect(error(plan([android(1)], [host('0', { androidVms: 64 })]))).toBeInstanceOf(
      AndroidSlotsError,
    );
    expect(plan([android(64)], fakeHosts(1, true)).ok).toBe(true);
  });
});

describe('error catalogue (scheduler.md §5)', () => {
  test('no hosts, empty queue', () => {
    expect(error(plan([vms('a')], []))).toBeInstanceOf(NoHostsError);
    expect(error(plan([vms('a')], [])).message).toBe('no hosts to schedule VMs on');
    expect(error(plan([], [host('a')]))).toBeInstanceOf(EmptyQueueError);
  });

  test('pinned to an unknown host; localhost is the local host', () => {
    const e = error(plan([vms('a', { schedule: 'mm9' })], [host('mm1'), host('mm2')]));
    expect(e).toBeInstanceOf(UnknownHostError);
    expect(e.message).toBe('VM scheduled on unknown host: `mm9`');
    expect(error(plan([vms('a', { schedule: 'localhost' })], [host('mm1')])).code).toBe(
      'ERR_UNKNOWN_HOST',
    );
    const p = planOrThrow(
      [vms('a', { schedule: 'localhost' })],
      [host('mm1'), host('mm2', { cpuCommit: 9 })],
      {
        localHost: 'mm2',
      },
    );
    expect(names(p)).toEqual({ mm2: ['a'] });
  });

  test('the single-host shortcut does not skip checks (unlike minimega)', () => {
    expect(error(plan([vms('b', { colocate: 'nope' })], [host('h')])).code).toBe(
      'ERR_NONEXISTENT_COLOCATE',
    );
    expect(error(plan([vms('a,b', { coschedule: 0 })], [host('h')])).code).toBe('ERR_COSCHEDULE');
  });

  test('nonexistent colocate anchors are listed sorted, once', () => {
    const e = error(
      plan(
        [vms('a', { colocate: 'z' }), vms('b', { colocate: 'c' }), vms('d', { colocate: 'c' })],
        [host('h')],
      ),
    );
    expect(e.message).toBe('nonexistent colocate VMs: [c, z]');
    expect((e as NonexistentColocateError).anchors).toEqual(['c', 'z']);
  });

  test('a colocate cycle has no anchor', () => {
    const e = error(
      plan([vms('a', { colocate: 'b' }), vms('b', { colocate: 'a' })], [host('h'), host('i')]),
    );
    expect(e.message).toBe('nonexistent colocate VMs: [a, b]');
  });

  test('Android group on a pinned host, and on no host', () => {
    const hosts = [host('h1', { androidVms: 63 }), host('h2', { androidVms: 64 })];
    const pinned = [
      vms('a', { type: 'android', schedule: 'h1' }),
      vms('b', { type: 'android', colocate: 'a' }),
    ];
    expect(error(plan(pinned, hosts)).message).toBe(
      'host h1 has insufficient Android VM slots: need 2, 63/64 already assigned',
    );
    const floating = [vms('a', { type: 'android' }), vms('b', { type: 'android', colocate: 'a' })];
    expect(error(plan(floating, hosts)).message).toBe(
      'no host has available Android VM slots for colocated group requiring 2 Android slot(s); each host supports at most 64 concurrent Android VMs',
    );
    expect(names(planOrThrow([vms('a', { type: 'android' })], hosts))).toEqual({ h1: ['a'] });
  });

  test('invalid input is an error, not a throw', () => {
    expect(error(plan([vms('a')], [host('a'), host('a')])).code).toBe('ERR_INVALID_INPUT');
    expect(error(plan([vms('a')], [host('a', { cpus: 0 })])).message).toBe(
      'host a: invalid cpus 0',
    );
    expect(error(plan([vms('a', { vcpus: Number.NaN })], [host('a')]))).toBeInstanceOf(
      InvalidInputError,
    );
    expect(error(plan([vms('a', { coschedule: -2 })], [host('a')])).message).toMatch(
      /coschedule -2/,
    );
    expect(error(plan([vms('a')], [host('a')], { load: 'bogus' as 'cpucommit' })).code).toBe(
      'ERR_INVALID_INPUT',
    );
  });
});

describe('beyond minimega', () => {
  test('ties go by fewer VMs, then host name, whatever the host order', () => {
    const hosts = [host('c'), host('a'), host('b', { vms: 1 })];
    expect(names(planOrThrow([vms('x', { vcpus: 0 })], hosts))).toEqual({ a: ['x'] });
    expect(names(planOrThrow([vms('x,y,z', { vcpus: 0 })], hosts))).toEqual({
      a: ['x', 'z'],
      c: ['y'],
    });
  });

  test('a coschedule limit that the least-loaded host cannot keep goes to a host that can', () => {
    // a: 2 VMs at limit 3 (one slot left); the pair of colocated VMs fits b only
    const hosts = [host('a', { vms: 2, limit: 3 }), host('b', { vms: 4, cpuCommit: 4 })];
    const p = planOrThrow([vms('x'), vms('y', { colocate: 'x' })], hosts);
    expect(names(p)).toEqual({ b: ['x', 'y'] });
  });

  test('launched colocate anchors pin to their host (Map or record)', () => {
    const hosts = [host('mm1'), host('mm2')];
    const q = [vms('b', { colocate: 'a' }), vms('c', { colocate: 'b' })];
    expect(names(planOrThrow(q, hosts, { launched: { a: 'mm2' } }))).toEqual({ mm2: ['b', 'c'] });
    expect(names(planOrThrow(q, hosts, { launched: new Map([['a', 'mm2']]) }))).toEqual({
      mm2: ['b', 'c'],
    });
    expect(error(plan(q, hosts, { launched: { a: 'gone' } })).message).toBe(
      'VM scheduled on unknown host: `gone`',
    );
  });

  test('limits and commits carry across batches', () => {
    const first = planOrThrow([vms('a', { coschedule: 0, vcpus: 2 })], [host('h1'), host('h2')]);
    const h1 = first.hosts.find((h) => h.name === 'h1');
    expect(h1).toMatchObject({ vms: 1, cpuCommit: 2, limit: 1 });
    const second = plan([vms('b')], first.hosts);
    expect(second.ok && names(second.placement)).toEqual({ h2: ['b'] });
    const third = plan([vms('c', { schedule: 'h1' })], first.hosts);
    expect(error(third).message).toBe(
      'too many VMs scheduled on h1 for coschedule requirement of 1',
    );
  });

  test('caps: cpu overcommit sends VMs elsewhere, then says why nothing fits', () => {
    const hosts = [host('h1', { cpus: 2 }), host('h2', { cpus: 4, cpuCommit: 1 })];
    const p = planOrThrow([vms('a,b,c,d,e', { vcpus: 1 })], hosts, { cpuOvercommit: 1 });
    expect(p.hosts.map((h) => h.cpuCommit)).toEqual([2, 4]);
    const e = error(plan([vms('a,b,c,d,e,f', { vcpus: 1 })], hosts, { cpuOvercommit: 1 }));
    expect(e).toBeInstanceOf(DoesNotFitError);
    expect(e.message).toBe(
      'does not fit: vm f needs 1 vCPU(s), 1 MB; no host has room: 2 of 2 host(s) have less than 1 vCPU(s) left (the most: 0 of 2 on h1, cpu overcommit 1 × 2 CPUs)',
    );
  });

  test('caps: memory overcommit on a pinned host, and a big VM on the one host with room', () => {
    const hosts = [
      host('h1', { memTotal: 4096 }),
      host('h2', { memTotal: 16384, memCommit: 8192 }),
    ];
    expect(names(planOrThrow([vms('big', { memory: 6000 })], hosts, { memOvercommit: 1 }))).toEqual(
      { h2: ['big'] },
    );
    const e = error(
      plan([vms('big', { memory: 6000, schedule: 'h1' })], hosts, { memOvercommit: 1.25 }),
    );
    expect(e.message).toBe(
      'does not fit: vm big needs 6000 MB; host h1 (pinned) has 5120 of 5120 MB left (memory overcommit 1.25 × 4096 MB)',
    );
  });

  test('caps: a host own memory overcommit takes precedence over the policy', () => {
    const hosts = [
      host('h1', { memTotal: 4096, memOvercommit: 2 }),
      host('h2', { memTotal: 4096 }),
    ];
    const p = planOrThrow([vms('a,b,c', { memory: 3000 })], hosts, { memOvercommit: 1 });
    expect(p.hosts.map((h) => h.memCommit)).toEqual([6000, 3000]);
    const e = error(plan([vms('big', { memory: 9000, schedule: 'h1' })], hosts, {}));
    expect(e.message).toBe(
      'does not fit: vm big needs 9000 MB; host h1 (pinned) has 8192 of 8192 MB left (memory overcommit 2 × 4096 MB)',
    );
  });

  test('caps: max VMs per host (policy and the host own), groups counted whole', () => {
    const hosts = [host('h1', { maxVms: 1 }), host('h2')];
    const p = planOrThrow([vms('a,b,c')], hosts, { maxVms: 2 });
    expect(p.hosts.map((h) => h.vms)).toEqual([1, 2]);
    const e = error(plan([vms('a'), vms('b,c', { colocate: 'a' })], [host('h1')], { maxVms: 2 }));
    expect(e.message).toBe(
      'does not fit: vm a and the 2 VM(s) colocated with it needs 3 vCPU(s), 3 MB; no host has room: 1 of 1 host(s) have less than 3 VM slot(s) left (the most: 2 of 2 on h1, max 2 VMs per host)',
    );
  });

  test('the caller’s objects come back untouched in the assignments', () => {
    const e = vms('a,b');
    const q = Object.freeze([Object.freeze(e)]);
    const hosts = Object.freeze([Object.freeze(host('h'))]);
    const p = planOrThrow(q, hosts);
    expect(p.byHost.get('h')?.map((a) => [a.entry === e, a.index, a.name])).toEqual([
      [true, 0, 'a'],
      [true, 0, 'b'],
    ]);
  });
});
