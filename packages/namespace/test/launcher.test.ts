// The namespace launcher over an in-memory mesh of fake-driver hosts: queue,
// dry run, placement, parallel launches, and the failure rows.
import { defaultVmConfig, type VmConfig } from '@mm/qemu';
import { describe, expect, test } from 'vitest';
import { createLauncher, LAUNCH_STATE } from '../src/launcher.js';
import { Namespace } from '../src/namespace.js';
import { schedulerPlanner } from '../src/planner.js';
import { meshCluster } from './mesh-fixture.js';

const config = (tweak: Partial<VmConfig> = {}): VmConfig => ({
  ...defaultVmConfig(),
  memory: 64,
  ...tweak,
});

async function setup(hosts: string[], opts: { timeoutMs?: number } = {}) {
  const c = await meshCluster(['head', ...hosts], opts);
  const head = c.byName('head');
  const launcher = createLauncher({ cluster: head.cluster, planner: schedulerPlanner() });
  const ns = new Namespace('sched', hosts);
  const vmsBy = async () =>
    Object.fromEntries(
      await Promise.all(
        hosts.map(async (h) => [h, (await c.byName(h).host.list({ namespace: 'sched' })).length]),
      ),
    );
  return { c, head, launcher, ns, vmsBy };
}

describe('namespace launcher', () => {
  test('30 queued VMs over 3 hosts: 10/10/10 in one launch, names unique', async () => {
    const { c, launcher, ns, vmsBy } = await setup(['mm1', 'mm2', 'mm3']);
    await using _ = c;
    ns.slot(LAUNCH_STATE).queueing = true;
    expect(
      await launcher.launch(ns, { names: Array(30).fill(''), type: 'kvm', config: config() }, []),
    ).toEqual([]);
    expect(ns.slot(LAUNCH_STATE).queue).toHaveLength(1);
    const rows = await launcher.schedule(ns);
    expect(rows.map((r) => [r.host, r.launched, r.error])).toEqual([
      ['mm1', 10, ''],
      ['mm2', 10, ''],
      ['mm3', 10, ''],
    ]);
    expect(await vmsBy()).toEqual({ mm1: 10, mm2: 10, mm3: 10 });
    const names = (
      await Promise.all(
        ['mm1', 'mm2', 'mm3'].map((h) => c.byName(h).host.list({ namespace: 'sched' })),
      )
    )
      .flat()
      .map((v) => v.name);
    expect(new Set(names).size).toBe(30);
    expect(ns.slot(LAUNCH_STATE).queue).toEqual([]);
    const [stat] = ns.slot(LAUNCH_STATE).stats;
    expect(stat).toMatchObject({
      state: 'completed',
      launched: 30,
      failures: 0,
      total: 30,
      hosts: 3,
    });
  });

  test('a planning error launches nothing and keeps the queue (transactional)', async () => {
    const { c, launcher, ns, vmsBy } = await setup(['mm1', 'mm2']);
    await using _ = c;
    ns.slot(LAUNCH_STATE).queueing = true;
    await launcher.launch(ns, { names: ['a'], type: 'kvm', config: config() }, []);
    await launcher.launch(
      ns,
      { names: ['b'], type: 'kvm', config: config({ colocate: 'foo' }) },
      [],
    );
    await expect(launcher.schedule(ns)).rejects.toThrow('nonexistent colocate VMs: [foo]');
    expect(ns.slot(LAUNCH_STATE).queue.map((q) => q.names)).toEqual([['a'], ['b']]);
    expect(await vmsBy()).toEqual({ mm1: 0, mm2: 0 });
  });

  test('queueing off: a refused launch takes its own entry back out of the queue', async () => {
    const { c, launcher, ns, vmsBy } = await setup(['mm1']);
    await using _ = c;
    await expect(
      launcher.launch(ns, { names: ['b'], type: 'kvm', config: config({ colocate: 'foo' }) }, []),
    ).rejects.toThrow('nonexistent colocate VMs: [foo]');
    expect(ns.slot(LAUNCH_STATE).queue).toEqual([]);
    await launcher.launch(ns, { names: ['a'], type: 'kvm', config: config() }, []);
    expect(await vmsBy()).toEqual({ mm1: 1 });
  });

  test('colocate chains and pins place where asked', async () => {
    const { c, launcher, ns } = await setup(['mm1', 'mm2', 'mm3']);
    await using _ = c;
    ns.slot(LAUNCH_STATE).queueing = true;
    await launcher.launch(
      ns,
      { names: ['a'], type: 'kvm', config: config({ schedule: 'mm2' }) },
      [],
    );
    await launcher.launch(ns, { names: ['b'], type: 'kvm', config: config({ colocate: 'a' }) }, []);
    await launcher.launch(ns, { names: ['c'], type: 'kvm', config: config({ colocate: 'b' }) }, []);
    await launcher.launch(ns, { names: ['d', 'e'], type: 'kvm', config: config() }, []);
    await launcher.schedule(ns);
    const on = await c.byName('mm2').host.list({ namespace: 'sched' });
    expect(on.map((v) => v.name).filter((n) => 'abc'.includes(n))).toEqual(['a', 'b', 'c']);
  });

  test('dry run, mv, then schedule launches the edited placement once', async () => {
    const { c, launcher, ns, vmsBy } = await setup(['mm1', 'mm2', 'mm3']);
    await using _ = c;
    ns.slot(LAUNCH_STATE).queueing = true;
    await launcher.launch(
      ns,
      { names: ['vm1', 'vm2', 'vm3', 'vm4', 'vm5', 'vm6'], type: 'kvm', config: config() },
      [],
    );
    const a = await launcher.dryRun(ns);
    expect([...a.values()].flat().length).toBe(6);
    expect(await vmsBy()).toEqual({ mm1: 0, mm2: 0, mm3: 0 });
    launcher.move(ns, ['vm1', 'vm2', 'vm3'], 'mm3');
    expect(() => launcher.move(ns, ['nope'], 'mm3')).toThrow('reassign nope: vm not found');
    expect(() => launcher.move(ns, ['vm1'], 'zz')).toThrow('new dst host is not in namespace');
    await launcher.schedule(ns);
    const on3 = (await c.byName('mm3').host.list({ namespace: 'sched' })).map((v) => v.name);
    expect(on3).toEqual(expect.arrayContaining(['vm1', 'vm2', 'vm3']));
    expect(ns.slot(LAUNCH_STATE).assignment).toBeUndefined();
  });

  test('names are unique across the namespace and the queue', async () => {
    const { c, launcher, ns } = await setup(['mm1', 'mm2']);
    await using _ = c;
    await launcher.launch(ns, { names: ['a'], type: 'kvm', config: config() }, []);
    const existing = await c.byName('mm1').host.list({ namespace: 'sched' });
    const all = [...existing, ...(await c.byName('mm2').host.list({ namespace: 'sched' }))];
    expect(() =>
      launcher.enqueue(ns, { names: ['a'], type: 'kvm', config: config() }, all),
    ).toThrow('vm already exists with name `a`');
    ns.slot(LAUNCH_STATE).queueing = true;
    launcher.enqueue(ns, { names: ['q'], type: 'kvm', config: config() }, all);
    expect(() =>
      launcher.enqueue(ns, { names: ['q'], type: 'kvm', config: config() }, all),
    ).toThrow('vm already queued with name `q`');
  });

  test('a host that drops mid-launch gives an error row naming it; the rest completes', async () => {
    const { c, launcher, ns, vmsBy } = await setup(['mm1', 'mm2', 'mm3'], { timeoutMs: 2000 });
    await using _ = c;
    ns.slot(LAUNCH_STATE).queueing = true;
    await launcher.launch(ns, { names: Array(9).fill(''), type: 'kvm', config: config() }, []);
    // mm2 stops answering once it has given its load
    const mm2 = c.byName('mm2');
    const realLaunch = mm2.host.launch.bind(mm2.host);
    mm2.host.launch = async (...args) => {
      void mm2.mesh.close();
      return realLaunch(...args);
    };
    const rows = await launcher.schedule(ns);
    const bad = rows.find((r) => r.host === 'mm2');
    expect(bad?.error).toMatch(/^mm2: /);
    expect(rows.filter((r) => r.host !== 'mm2').map((r) => [r.host, r.error])).toEqual([
      ['mm1', ''],
      ['mm3', ''],
    ]);
    const counts = await vmsBy();
    expect(counts.mm1 + counts.mm3).toBe(6);
    expect(ns.slot(LAUNCH_STATE).stats[0]).toMatchObject({ state: 'completed', failures: 1 });
  });
});

test('a launch larger than the limit is refused up front, nothing queued or started', async () => {
  const { c, head, ns, vmsBy } = await setup(['mm1']);
  await using _ = c;
  const launcher = createLauncher({
    cluster: head.cluster,
    planner: schedulerPlanner(),
    maxQueued: 100,
  });
  await expect(
    launcher.launch(ns, { names: Array(101).fill(''), type: 'kvm', config: config() }, []),
  ).rejects.toThrow('cannot launch 101 VMs: more than 100 in one launch');
  expect(ns.slot(LAUNCH_STATE).queue).toEqual([]);
  expect(await vmsBy()).toEqual({ mm1: 0 });
});
