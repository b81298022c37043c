// A namespace spanning three real hosts (network namespaces, real daemons,
// TCG guests): the head's `namespace sched` holds its mesh peers, one
// `vm launch` places 30 queued VMs 10/10/10, they start, `vm info` lists
// them with a host column, `vm top` measures them on their hosts, and
// `clear namespace` leaves no QEMU anywhere.
// A host that drops off the network mid-launch gives an error row naming it.
import { describe, expect } from 'vitest';
import { guestImage } from '#test-support';
import { startCluster } from '../src/index.js';
import { netns, waitForSize } from './helpers.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function vmsByHost(
  run: (l: string) => Promise<{ Host: string; Tabular: string[][] | null; Error: string }[]>,
) {
  const rows = await run('.columns name,state,pid vm info');
  const out: Record<string, { name: string; state: string; pid: number }[]> = {};
  for (const r of rows) {
    expect(r.Error).toBe('');
    out[r.Host] = (r.Tabular ?? []).map(([name, state, pid]) => ({
      name: name!,
      state: state!,
      pid: Number(pid),
    }));
  }
  return out;
}

describe('a namespace across three real hosts', () => {
  netns.test(
    '30 queued VMs placed 10/10/10 by one vm launch, started, listed by host, cleared everywhere',
    async () => {
      const img = await guestImage();
      await using c = await startCluster({ hosts: 4, flags: ['-degree', '3', '-accel', 'tcg'] });
      await waitForSize(c.hosts, 4);
      const head = c.host('n1');
      const run = (l: string) => head.run(l);
      for (const line of [
        'namespace sched',
        'ns queueing true',
        'vm config memory 64',
        'vm config backchannel false',
        `vm config kernel ${img.kernel}`,
        `vm config initrd ${img.initrd}`,
        'vm launch kvm 30',
      ]) {
        const rows = await run(line);
        expect(
          rows.filter((r) => r.Error !== ''),
          line,
        ).toEqual([]);
      }
      expect((await run('ns hosts'))[0]?.Response).toBe('n[2-4]');
      expect((await run('ns queue'))[0]?.Response).toMatch(/^VMs: 30\n/);
      const launch = await run('vm launch');
      expect(launch.map((r) => [r.Host, r.Error])).toEqual([
        ['n2', ''],
        ['n3', ''],
        ['n4', ''],
      ]);
      let by = await vmsByHost(run);
      expect(Object.keys(by).sort()).toEqual(['n2', 'n3', 'n4']);
      for (const h of ['n2', 'n3', 'n4']) expect(by[h]).toHaveLength(10);
      const names = Object.values(by)
        .flat()
        .map((v) => v.name);
      expect(new Set(names).size).toBe(30);
      expect((await run('vm start all')).filter((r) => r.Error !== '')).toEqual([]);
      by = await vmsByHost(run);
      expect(
        Object.values(by)
          .flat()
          .every((v) => v.state === 'RUNNING'),
      ).toBe(true);
      // the head's own view: one table, a host column once annotated
      const annotated = await run('.annotate true .columns name vm info');
      expect(annotated.map((r) => r.Host).sort()).toEqual(['n2', 'n3', 'n4']);
      // vm top: each host measures its own 10 QEMUs (typed mesh call, not CLI text)
      const top = await run('.columns name,res,procs vm top 0');
      expect(top.map((r) => [r.Host, r.Error, r.Tabular?.length]).sort()).toEqual([
        ['n2', '', 10],
        ['n3', '', 10],
        ['n4', '', 10],
      ]);
      for (const r of top) {
        for (const [, res, procs] of r.Tabular ?? []) {
          expect(Number(res)).toBeGreaterThan(0);
          expect(procs).toBe('1');
        }
      }
      const pids = Object.values(by)
        .flat()
        .map((v) => v.pid);
      expect(pids.every((p) => p > 0 && alive(p))).toBe(true);
      expect((await run('clear namespace sched')).filter((r) => r.Error !== '')).toEqual([]);
      const end = Date.now() + 20_000;
      while (pids.some(alive) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      expect(pids.filter(alive)).toEqual([]);
      for (const h of ['n2', 'n3', 'n4']) {
        const left = await c.host(h).run('namespace sched .columns name vm info');
        expect(left.flatMap((r) => r.Tabular ?? [])).toEqual([]);
      }
    },
    240_000,
  );

  netns.test(
    'a host that drops off the network mid-launch gives an error row naming it; the rest launch',
    async () => {
      const img = await guestImage();
      await using c = await startCluster({ hosts: 4, flags: ['-degree', '3', '-accel', 'tcg'] });
      await waitForSize(c.hosts, 4);
      const head = c.host('n1');
      for (const line of [
        'namespace sched',
        'ns queueing true',
        'vm config memory 64',
        'vm config backchannel false',
        `vm config kernel ${img.kernel}`,
        `vm config initrd ${img.initrd}`,
        'vm launch kvm 12',
      ]) {
        expect(
          (await head.run(line)).filter((r) => r.Error !== ''),
          line,
        ).toEqual([]);
      }
      const launching = head.run('vm launch');
      // pull n3's cable as soon as its share is being launched
      const n3 = c.host('n3');
      const end = Date.now() + 30_000;
      for (;;) {
        const rows = await n3.run('namespace sched .columns name vm info');
        if (rows.some((r) => (r.Tabular ?? []).length > 0)) break;
        if (Date.now() > end) throw new Error('n3 never got VMs');
      }
      await n3.disconnect();
      const rows = await launching;
      const bad = rows.find((r) => r.Host === 'n3');
      expect(bad?.Error).toMatch(/^n3: /);
      expect(rows.filter((r) => r.Host !== 'n3').map((r) => [r.Host, r.Error])).toEqual([
        ['n2', ''],
        ['n4', ''],
      ]);
      await n3.reconnect();
      const status = await head.run('.columns state,failures,total ns schedule status');
      expect(status[0]?.Tabular).toEqual([['completed', '1', '12']]);
      await head.run('clear namespace sched');
    },
    240_000,
  );
});
