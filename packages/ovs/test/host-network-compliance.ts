// The HostNetwork contract, run on any Switch: the fake in memory, the real
// one against a private OVS in its own network namespace. What the records
// say must be what the switch has, and teardown must leave nothing.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '#test-support';
import { type Alias, createHostNetwork, type HostNetwork, type Switch } from '../src/index.js';
import type { SwitchFixture } from './switch-compliance.js';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { code?: string }).code ?? `no code: ${String(err)}`;
  }
  return 'resolved';
}

const vmTap = (vm: string, vlan: number, bridge = '') => ({
  namespace: 'ns1',
  vm,
  bridge,
  vlan,
  mac: '00:11:22:33:44:55',
});

export function hostNetworkCompliance(setup: () => Promise<SwitchFixture>): void {
  let f: SwitchFixture;
  let sw: Switch;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let net: HostNetwork;
  let announced: { alias: Alias; vlan: number }[];
  const open = () =>
    createHostNetwork({
      switch: sw,
      baseDir: dir.path,
      vlanRange: { min: 101, max: 200 },
      onAliasCreated: (alias, vlan) => announced.push({ alias, vlan }),
      bandwidthPeriodMs: 0,
    });
  const file = (name: string) => readFile(join(dir.path, name), 'utf8').catch(() => '');
  const ports = async (br: string) => ((await sw.bridge(br))?.ports ?? []).map((p) => p.name);

  beforeEach(async () => {
    f = await setup();
    sw = f.sw;
    dir = await tempDir('mm-hostnet-');
    announced = [];
    net = open();
  });
  afterEach(async () => {
    await net.close();
    await dir[Symbol.asyncDispose]();
    await f.cleanup();
  });

  describe('VM taps', () => {
    it('creates taps of concurrent requests on their bridges and VLANs, in NIC order per VM', async () => {
      const taps = await Promise.all([
        net.createTap(vmTap('a', 101)),
        net.createTap(vmTap('b', 102, 'mmh_br')),
        net.createTap(vmTap('a', 103)),
      ]);
      expect(new Set(taps).size).toBe(3);
      for (const t of taps) expect(t).toMatch(/^mega_tap\d+$/);
      expect(await ports('mega_bridge')).toEqual(expect.arrayContaining([taps[0], taps[2]]));
      expect(await ports('mmh_br')).toEqual([taps[1]]);
      const byVm = net.vmTaps('ns1');
      expect(byVm.get('a')?.map((t) => [t.name, t.vlan])).toEqual([
        [taps[0], 101],
        [taps[2], 103],
      ]);
      expect(net.vmTaps('other').size).toBe(0);
      // the state file is written after the taps are handed out
      await expect.poll(() => file('bridges')).toMatch(/^mega_bridge\s+false\s+\[101 103\]$/m);
      await Promise.all(taps.map((tap) => net.deleteTap({ bridge: '', tap })));
      expect(await ports('mega_bridge')).toEqual([]);
      expect(net.vmTaps('ns1').size).toBe(0);
      for (const t of taps) expect(await sw.links()).not.toContain(t);
    });

    it('moves a tap between VLANs and bridges, and disconnects it', async () => {
      const tap = await net.createTap(vmTap('a', 101));
      await net.connectTap({ bridge: 'mmh_br', tap, vlan: 150 });
      expect(await ports('mega_bridge')).toEqual([]);
      expect(await ports('mmh_br')).toEqual([tap]);
      expect(net.tap(tap)).toMatchObject({ bridge: 'mmh_br', vlan: 150, vm: 'a' });
      await net.disconnectTap({ bridge: 'mmh_br', tap });
      expect(await ports('mmh_br')).toEqual([]);
      expect(net.tap(tap)).toMatchObject({ bridge: '', vlan: -1, vm: 'a' });
      expect(
        net
          .vmTaps('ns1')
          .get('a')
          ?.map((t) => t.name),
      ).toEqual([tap]);
      await net.connectTap({ bridge: '', tap, vlan: 120 });
      expect(await ports('mega_bridge')).toEqual([tap]);
    });

    it('rate qos on a tap, shown as vm info prints it, gone with clearQos', async () => {
      const tap = await net.createTap(vmTap('a', 101));
      await net.setQos(tap, { kind: 'rate', rate: 10, unit: 'mbit' });
      expect(net.tapQos(tap)).toBe('rate 10mbit');
      await net.clearQos(tap);
      expect(net.tapQos(tap)).toBeUndefined();
      expect(await codeOf(net.setQos('nope', { kind: 'rate', rate: 1, unit: 'mbit' }))).toBe(
        'ERR_NET_UNKNOWN_TAP',
      );
    });
  });

  describe('host taps and mirrors', () => {
    it('creates host taps per namespace; deletes only the namespace own, by code otherwise', async () => {
      const t1 = await net.createHostTap({ namespace: 'ns1', vlan: 'DMZ' });
      const t2 = await net.createHostTap({ namespace: 'ns2', vlan: '7', name: 'mmh_host' });
      expect(t2).toBe('mmh_host');
      expect(announced).toEqual([{ alias: { namespace: 'ns1', value: 'DMZ' }, vlan: 101 }]);
      expect(net.hostTaps('ns1').map((t) => [t.name, t.bridge, t.vlan])).toEqual([
        [t1, 'mega_bridge', 101],
      ]);
      expect(await file('taps')).toMatch(new RegExp(`^mega_bridge\\s+${t1}\\s+ns1//DMZ$`, 'm'));
      expect(await file('vlans')).toMatch(/^ns1\/\/DMZ\s+101$/m);
      const vm = await net.createTap(vmTap('a', 101));
      expect(await codeOf(net.createHostTap({ namespace: 'ns1', vlan: '1', name: t1 }))).toBe(
        'ERR_NET_TAP_EXISTS',
      );
      expect(await codeOf(net.createHostTap({ namespace: 'ns1', vlan: '1', name: 'all' }))).toBe(
        'ERR_NET_RESERVED_NAME',
      );
      expect(await codeOf(net.deleteHostTap('ns1', 'nope'))).toBe('ERR_NET_UNKNOWN_TAP');
      expect(await codeOf(net.deleteHostTap('ns1', vm))).toBe('ERR_NET_NOT_HOST_TAP');
      expect(await codeOf(net.deleteHostTap('ns1', t2))).toBe('ERR_NET_NOT_HOST_TAP');
      await net.deleteHostTap('ns1', 'all');
      expect(net.hostTaps('ns1')).toEqual([]);
      expect(net.hostTaps('ns2')).toHaveLength(1);
      expect(await sw.links()).not.toContain(t1);
      expect(await sw.links()).toContain(t2);
    });

    it('mirrors a tap onto another; errors by code; a namespace clear removes its mirrors and host taps', async () => {
      const src = await net.createTap(vmTap('a', 101));
      const dst = await net.createHostTap({ namespace: 'ns1', vlan: '101' });
      expect(await codeOf(net.addMirror({ namespace: 'ns1', src, dst: src, bridge: '' }))).toBe(
        'ERR_NET_BAD_MIRROR',
      );
      expect(await codeOf(net.addMirror({ namespace: 'ns1', src: 'x', dst, bridge: '' }))).toBe(
        'ERR_NET_BAD_MIRROR',
      );
      await net.addMirror({ namespace: 'ns1', src, dst, bridge: '' });
      expect((await sw.bridge('mega_bridge'))?.mirrors).toHaveLength(1);
      expect(net.mirrors('ns1')).toEqual([{ namespace: 'ns1', bridge: 'mega_bridge', dst }]);
      expect(net.mirrors('ns2')).toEqual([]);
      expect(await codeOf(net.addMirror({ namespace: 'ns1', src, dst, bridge: '' }))).toBe(
        'ERR_NET_BAD_MIRROR',
      );
      expect(await codeOf(net.removeMirrors('ns2', [dst], true))).toBe('ERR_NET_UNKNOWN_MIRROR');
      await net.clearNamespaceTaps('ns1');
      expect((await sw.bridge('mega_bridge'))?.mirrors ?? []).toHaveLength(0);
      expect(net.mirrors('ns1')).toEqual([]);
      expect(net.hostTaps('ns1')).toEqual([]);
      expect(await ports('mega_bridge')).toEqual([src]);
    });
  });

  describe('bridges', () => {
    it('tunnels and config on a bridge; destroy removes all of it; a pre-existing bridge stays', async () => {
      await sw.ensureBridge('mmh_pre');
      await net.ensureBridge('mmh_pre');
      const tunnel = await net.addTunnel({ bridge: 'mmh_br', type: 'vxlan', remoteIp: '10.9.9.9' });
      expect(await codeOf(net.removeTunnel('mmh_br', 'nope'))).toBe('ERR_NET_UNKNOWN_PORT');
      await net.configureBridge('mmh_br', 'stp_enable', 'true');
      const tap = await net.createTap(vmTap('a', 101, 'mmh_pre'));
      expect(net.bridges()).toEqual([
        expect.objectContaining({ name: 'mmh_br', preexisting: false, tunnels: [tunnel] }),
        expect.objectContaining({ name: 'mmh_pre', preexisting: true, vlans: [101] }),
      ]);
      expect(net.bridges()[0]?.config).toEqual({ stp_enable: 'true' });
      await net.destroyBridge('mmh_br');
      await net.destroyBridge('mmh_pre');
      expect(await sw.bridges()).toEqual(['mmh_pre']);
      expect(await ports('mmh_pre')).toEqual([]);
      expect(await sw.links()).not.toContain(tap);
      expect(net.bridges()).toEqual([]);
    });
  });

  describe('teardown and recovery', () => {
    it('close removes every tap and bridge it made, and the bridges file', async () => {
      await net.createTap(vmTap('a', 101));
      await net.createHostTap({ namespace: 'ns1', vlan: '5' });
      await net.addTunnel({ bridge: 'mmh_br', type: 'gre', remoteIp: '10.9.9.9' });
      expect(await file('bridges')).not.toBe('');
      await net.close();
      expect(await sw.bridges()).toEqual([]);
      expect((await sw.links()).filter((l) => l.startsWith('mega_tap'))).toEqual([]);
      expect(await file('bridges')).toBe('');
    });

    it('clearAll and deleteNamespace forget aliases; clearAll removes the bridges', async () => {
      net.resolveVlan('ns1', 'A');
      net.resolveVlan('ns2', 'B');
      await net.createTap(vmTap('a', 101));
      await net.deleteNamespace('ns1');
      expect(net.vlanAliases('ns1')).toEqual([]);
      expect(net.vlanAliases('ns2')).toEqual([{ alias: 'B', vlan: 102 }]);
      await net.clearAll();
      expect(net.vlanAliases('ns2')).toEqual([]);
      expect(await sw.bridges()).toEqual([]);
      expect(await file('vlans')).toBe('');
    });

    it('a new network on the same base recovers aliases, bridges, host taps and given VM taps', async () => {
      const host = await net.createHostTap({ namespace: 'ns1', vlan: 'DMZ' });
      const tap = await net.createTap(vmTap('a', 101));
      // the daemon crashed: its records are gone, the switch and files are not
      const again = open();
      await again.restoreVlans();
      expect(again.printVlan('ns1', 101)).toBe('DMZ (101)');
      const r = await again.recover([
        { namespace: 'ns1', vm: 'a', bridge: 'mega_bridge', tap, vlan: 101, mac: '' },
      ]);
      expect(r).toMatchObject({
        bridges: ['mega_bridge'],
        hostTaps: [host],
        vmTaps: 1,
        errors: [],
      });
      expect(again.hostTaps('ns1').map((t) => t.name)).toEqual([host]);
      expect(
        again
          .vmTaps('ns1')
          .get('a')
          ?.map((t) => t.name),
      ).toEqual([tap]);
      expect(again.bridges()[0]).toMatchObject({ name: 'mega_bridge', preexisting: false });
      await again.close();
      expect(await sw.bridges()).toEqual([]);
    });
  });
}
