// The VmHost compliance suite: every implementation (local + fake driver,
// local + real QEMU, the remote proxy over the mesh) runs it in a few lines.
// The same target rules, states, errors (by code) and records everywhere.
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, type test } from 'vitest';
import type { VmConfig } from '../src/config.js';
import type { VmHost } from '../src/host/types.js';

export interface VmHostFixture extends AsyncDisposable {
  host: VmHost;
  /** the host's mesh name as records carry it */
  hostname: string;
  /** a config that boots on this host (tiny guest for real QEMU) */
  config(): VmConfig;
}

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

const codeOf = async (p: Promise<unknown>): Promise<string | undefined> => {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code ?? `no code: ${(err as Error).message}`;
  }
};

export function vmHostCompliance(
  name: string,
  setup: () => Promise<VmHostFixture>,
  t: typeof test,
): void {
  describe(`VmHost compliance: ${name}`, () => {
    t(
      'launch makes BUILDING VMs with ids, UUIDs, processes and vm.json; list returns them',
      async () => {
        await using f = await setup();
        const r = await f.host.launch({
          namespace: 'ns1',
          type: 'kvm',
          names: ['a', 'b', ''],
          config: f.config(),
        });
        expect(r.errors).toEqual([]);
        expect(r.records.map((v) => v.name)).toEqual(['a', 'b', 'vm-0']);
        expect(new Set(r.records.map((v) => v.id)).size).toBe(3);
        expect(new Set(r.records.map((v) => v.uuid)).size).toBe(3);
        for (const v of r.records) {
          expect(v.state).toBe('BUILDING');
          expect(v.host).toBe(f.hostname);
          expect(v.namespace).toBe('ns1');
          expect(v.pid).toBeGreaterThan(0);
          const onDisk = JSON.parse(await readFile(join(v.instanceDir, 'vm.json'), 'utf8'));
          expect(onDisk).toMatchObject({ id: v.id, name: v.name, uuid: v.uuid, state: 'BUILDING' });
        }
        const listed = await f.host.list({ namespace: 'ns1' });
        expect(listed.map((v) => v.name)).toEqual(['a', 'b', 'vm-0']);
        expect(await f.host.list({ namespace: 'other' })).toEqual([]);
        expect(
          (await f.host.list({ namespace: 'ns1', targets: ['b'] })).map((v) => v.name),
        ).toEqual(['b']);
      },
    );

    t(
      'names are unique per namespace; refusals carry ERR_VM_LAUNCH and launch nothing',
      async () => {
        await using f = await setup();
        await f.host.launch({ namespace: 'x', type: 'kvm', names: ['a'], config: f.config() });
        expect(
          await codeOf(
            f.host.launch({ namespace: 'x', type: 'kvm', names: ['b', 'a'], config: f.config() }),
          ),
        ).toBe('ERR_VM_LAUNCH');
        expect((await f.host.list({ namespace: 'x' })).map((v) => v.name)).toEqual(['a']);
        // the same name in another namespace is fine
        const r = await f.host.launch({
          namespace: 'y',
          type: 'kvm',
          names: ['a'],
          config: f.config(),
        });
        expect(r.errors).toEqual([]);
        expect(
          await codeOf(
            f.host.launch({ namespace: 'x', type: 'kvm', names: ['bad name'], config: f.config() }),
          ),
        ).toBe('ERR_VM_LAUNCH');
      },
    );

    t(
      'start, stop, kill, flush move VMs through their states; flush removes the instance dir',
      async () => {
        await using f = await setup();
        const { records } = await f.host.launch({
          namespace: 'n',
          type: 'kvm',
          names: ['a', 'b'],
          config: f.config(),
        });
        const sel = (...targets: string[]) => ({ namespace: 'n', targets });
        await f.host.start(sel('all'));
        const state = async () =>
          (await f.host.list({ namespace: 'n' })).map((v) => `${v.name}:${v.state}`);
        expect(await state()).toEqual(['a:RUNNING', 'b:RUNNING']);
        await f.host.stop(sel('a'));
        expect(await state()).toEqual(['a:PAUSED', 'b:RUNNING']);
        // stopping a VM that is not running is a state error for a single target
        await expect(f.host.stop(sel('a'))).rejects.toThrow('VM state error: a');
        // starting all skips the running one silently
        await f.host.start(sel('all'));
        expect(await state()).toEqual(['a:RUNNING', 'b:RUNNING']);
        await expect(f.host.start(sel('b'))).rejects.toThrow('vm is already running');
        await f.host.kill(sel(String(records[0]!.id)));
        expect(await state()).toEqual(['a:QUIT', 'b:RUNNING']);
        await f.host.flush(sel('all'));
        expect(await state()).toEqual(['b:RUNNING']);
        expect(await exists(records[0]!.instanceDir)).toBe(false);
        await f.host.kill(sel('all'));
        await f.host.flush(sel('all'));
        expect(await state()).toEqual([]);
        expect(await exists(records[1]!.instanceDir)).toBe(false);
      },
    );

    t(
      'a single target that names no VM is ERR_VM_NOT_FOUND; wild targets on none are fine',
      async () => {
        await using f = await setup();
        for (const op of ['start', 'stop', 'kill', 'flush'] as const) {
          expect(await codeOf(f.host[op]({ namespace: 'n', targets: ['nope'] }))).toBe(
            'ERR_VM_NOT_FOUND',
          );
          await f.host[op]({ namespace: 'n', targets: ['all'] });
        }
        expect(await codeOf(f.host.qmp({ namespace: 'n', name: 'nope' }, '{}'))).toBe(
          'ERR_VM_NOT_FOUND',
        );
      },
    );

    t('tags set and clear; qmp answers; stats count the host', async () => {
      await using f = await setup();
      const c = f.config();
      c.vcpus = 2;
      c.memory = 64;
      await f.host.launch({ namespace: 'n', type: 'kvm', names: ['a', 'b'], config: c });
      await f.host.tag({ namespace: 'n', targets: ['all'] }, { op: 'set', key: 'k', value: 'v' });
      await f.host.tag({ namespace: 'n', targets: ['b'] }, { op: 'clear', key: 'k' });
      const tags = (await f.host.list({ namespace: 'n' })).map((v) => v.tags.k ?? '');
      expect(tags).toEqual(['v', '']);
      const status = JSON.parse(
        await f.host.qmp({ namespace: 'n', name: 'a' }, '{"execute":"query-status"}'),
      );
      expect(status.return.status).toBe('prelaunch');
      const s = await f.host.stats();
      expect(s).toMatchObject({ name: f.hostname, vms: 2, cpucommit: 4, memcommit: 128 });
      expect(s.cpus).toBeGreaterThan(0);
    });

    t('save pauses the VM and writes its state; saveStatus follows it to completed', async () => {
      await using f = await setup();
      const dir = await mkdtemp(join(tmpdir(), 'mm-save-'));
      try {
        await f.host.launch({ namespace: 's', type: 'kvm', names: ['a', 'b'], config: f.config() });
        await f.host.start({ namespace: 's', targets: ['a'] });
        expect(await f.host.saveStatus('s')).toEqual([]);
        const target = { state: join(dir, "a's.state"), disk: join(dir, "a's.hdd") };
        await f.host.save({ namespace: 's', name: 'a' }, target);
        const states = (await f.host.list({ namespace: 's' })).map((v) => v.state);
        expect(states).toEqual(['PAUSED', 'BUILDING']);
        let rows = await f.host.saveStatus('s');
        for (let i = 0; i < 200 && rows[0]?.status !== 'completed'; i++) {
          await new Promise((r) => setTimeout(r, 100));
          rows = await f.host.saveStatus('s');
        }
        expect(rows).toEqual([
          { id: rows[0]!.id, name: 'a', status: 'completed', complete: '100.00' },
        ]);
        expect(await exists(target.state)).toBe(true);
        expect(await codeOf(f.host.save({ namespace: 's', name: 'nope' }, target))).toBe(
          'ERR_VM_NOT_FOUND',
        );
        // paths are the VM host's own: relative ones are refused
        await expect(
          f.host.save({ namespace: 's', name: 'b' }, { state: 'x.state', disk: 'x.hdd' }),
        ).rejects.toThrow('absolute');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    t('top measures the VMs that have a process, per namespace', async () => {
      await using f = await setup();
      await f.host.launch({ namespace: 't', type: 'kvm', names: ['a', 'b'], config: f.config() });
      await f.host.launch({ namespace: 'u', type: 'kvm', names: ['c'], config: f.config() });
      await f.host.start({ namespace: 't', targets: ['all'] });
      const rows = await f.host.top({ namespace: 't', durationMs: 300 });
      expect(rows.map((r) => `${r.namespace}/${r.name}`)).toEqual(['t/a', 't/b']);
      for (const r of rows) {
        expect(r.procs).toBeGreaterThanOrEqual(1);
        expect(r.res).toBeGreaterThan(0);
        expect(r.virt).toBeGreaterThanOrEqual(r.res);
        expect(r.cpu).toBeGreaterThanOrEqual(0);
        expect(r.rx).toBe(0);
      }
      expect((await f.host.top({ durationMs: 0 })).map((r) => r.name).sort()).toEqual([
        'a',
        'b',
        'c',
      ]);
      await f.host.kill({ namespace: 't', targets: ['a'] });
      expect((await f.host.top({ namespace: 't', durationMs: 0 })).map((r) => r.name)).toEqual([
        'b',
      ]);
    });

    t('destroyNamespace kills and flushes only that namespace', async () => {
      await using f = await setup();
      const a = await f.host.launch({
        namespace: 'p',
        type: 'kvm',
        names: ['a'],
        config: f.config(),
      });
      await f.host.launch({ namespace: 'q', type: 'kvm', names: ['a'], config: f.config() });
      await f.host.destroyNamespace('p');
      expect(await f.host.list({ namespace: 'p' })).toEqual([]);
      expect((await f.host.list({ namespace: 'q' })).map((v) => v.state)).toEqual(['BUILDING']);
      expect(await exists(a.records[0]!.instanceDir)).toBe(false);
    });

    t('an aborted launch starts nothing', async () => {
      await using f = await setup();
      const ac = new AbortController();
      ac.abort();
      await expect(
        f.host.launch(
          { namespace: 'n', type: 'kvm', names: ['a'], config: f.config() },
          { signal: ac.signal },
        ),
      ).rejects.toThrow();
      const left = await f.host.list({ namespace: 'n' });
      expect(left.filter((v) => v.pid > 0 && v.state !== 'ERROR')).toEqual([]);
    });
  });
}
