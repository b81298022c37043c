// The VmHost compliance suite over the mesh: a head calls a host's VmHost
// through the remote proxy (in-memory mesh, msgpack frames, zod checks).
import {
  createFakeDriver,
  createSlowStartDriver,
  defaultVmConfig,
  type NicAttacher,
} from '@mm/qemu';
import { expect, test } from 'vitest';
import { vmHostCompliance } from '../../qemu/test/vm-host-compliance.js';
import { createNamespaceManager } from '../src/local-manager.js';
import { createRemoteVmHost } from '../src/remote-host.js';
import { VmHostCall } from '../src/rpc.js';
import { meshCluster } from './mesh-fixture.js';

vmHostCompliance(
  'remote host over an in-memory mesh',
  async () => {
    const c = await meshCluster(['head', 'h1']);
    return {
      host: c.byName('head').cluster.host('h1'),
      hostname: 'h1',
      config: () => ({ ...defaultVmConfig(), memory: 64 }),
      [Symbol.asyncDispose]: () => c[Symbol.asyncDispose](),
    };
  },
  test,
);

test('a request that fails validation is refused with a code, the host untouched', async () => {
  await using c = await meshCluster(['head', 'h1']);
  const head = c.byName('head');
  const [r] = await head.mesh.send(['h1'], VmHostCall, {
    op: 'launch',
    args: [{ namespace: 'n', type: 'kvm', names: ['a'], config: { vcpus: -1 } }],
  });
  expect(r?.ok && r.value).toMatchObject({ ok: false, code: 'ERR_VM_BAD_REQUEST' });
  expect(await c.byName('h1').host.list({})).toEqual([]);
});

test('an unknown host is a mesh error naming it, with a code', async () => {
  await using c = await meshCluster(['head', 'h1']);
  const ghost = createRemoteVmHost({ mesh: () => c.byName('head').mesh, host: 'ghost' });
  const err = await ghost.stats().catch((e: unknown) => e as Error & { code?: string });
  expect(err).toBeInstanceOf(Error);
  expect((err as { code?: string }).code).toMatch(/^ERR_MESH_/);
});

test("list carries each tap's qos from the VM's host, so the head's vm info shows it", async () => {
  const qos = new Map<string, string>();
  let n = 0;
  const nics = (host: string): NicAttacher => ({
    createTap: async () => `${host}_tap${n++}`,
    deleteTap: async () => {},
    tapQos: (tap) => qos.get(tap),
  });
  await using c = await meshCluster(['head', 'h1'], { nics });
  const h1 = c.byName('head').cluster.host('h1');
  const config = defaultVmConfig();
  const net = {
    vlan: 100,
    alias: '100',
    bridge: 'mega_bridge',
    mac: '',
    driver: 'e1000',
    qinq: false,
    tap: '',
    raw: '100',
  };
  config.networks = [{ ...net }, { ...net }];
  const r = await h1.launch({ namespace: 'n', type: 'kvm', names: ['a'], config });
  expect(r.errors).toEqual([]);
  const [t0, t1] = (await h1.list({ namespace: 'n' }))[0]!.taps;
  expect([t0?.qos, t1?.qos]).toEqual([undefined, undefined]);
  qos.set(t1!.tap, 'loss 5 delay 100ms');
  const again = (await h1.list({ namespace: 'n' }))[0]!.taps;
  expect(again.map((t) => t.qos)).toEqual([undefined, 'loss 5 delay 100ms']);
});

test('a remote launch whose caller aborts is cancelled on the host too (cancel over the mesh)', async () => {
  // a QEMU slow to start: start() waits for its signal
  const slow = createSlowStartDriver();
  await using c = await meshCluster(['head', 'h1'], {
    driver: (n) => (n === 'h1' ? slow.driver : createFakeDriver()),
    launchParallelism: 2,
  });
  const remote = c.byName('head').cluster.host('h1');
  const ac = new AbortController();
  const names = Array.from({ length: 40 }, (_, i) => `v${i}`);
  const launching = remote.launch(
    { namespace: 'n', type: 'kvm', names, config: { ...defaultVmConfig(), memory: 1 } },
    { signal: ac.signal },
  );
  const until = async (cond: () => boolean | Promise<boolean>) => {
    const end = Date.now() + 20_000;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  await until(() => slow.started() === 2);
  ac.abort(new Error('client disconnected'));
  await expect(launching).rejects.toThrow();
  // the host stops too: its VMs end cancelled, nothing more is started
  const h1 = c.byName('h1').host;
  await until(async () => (await h1.list({ namespace: 'n' })).every((v) => v.state === 'ERROR'));
  expect(slow.started()).toBe(2);
  const vms = await h1.list({ namespace: 'n' });
  expect(vms.filter((v) => v.error === 'launch cancelled')).toHaveLength(38);
});

test('a call in namespace X creates X on the serving node (as minimega runs `namespace X <cmd>` there); calls without one do not', async () => {
  const managers = new Map(
    ['head', 'h1'].map((h) => [h, createNamespaceManager({ hostname: h })] as const),
  );
  await using c = await meshCluster(['head', 'h1'], {
    onNamespace: (host, ns) => managers.get(host)?.getOrCreate(ns),
  });
  const h1 = c.byName('head').cluster.host('h1');
  await h1.stats();
  await h1.list({});
  expect(managers.get('h1')?.names()).toEqual([]);
  expect(await h1.list({ namespace: 'foo' })).toEqual([]);
  await h1.launch({ namespace: 'bar', type: 'kvm', names: ['a'], config: defaultVmConfig() });
  expect(managers.get('h1')?.names()).toEqual(['bar', 'foo']);
  // the caller's own registry is untouched
  expect(managers.get('head')?.names()).toEqual([]);
});
