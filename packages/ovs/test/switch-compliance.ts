// One compliance suite for every Switch implementation: the fake runs it in
// memory, the real one against a private OVS in its own network namespace.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Switch } from '../src/index.js';

export interface SwitchFixture {
  sw: Switch;
  /** whether the netem qdisc is available */
  netem: boolean;
  cleanup(): Promise<void>;
}

export type SwitchSetup = () => Promise<SwitchFixture>;

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { code?: string }).code ?? `no code: ${String(err)}`;
  }
  return 'resolved';
}

export function switchCompliance(setup: SwitchSetup): void {
  let f: SwitchFixture;
  let sw: Switch;
  beforeEach(async () => {
    f = await setup();
    sw = f.sw;
  });
  afterEach(async () => {
    await f.cleanup();
  });

  const portsOf = async (br: string) => (await sw.bridge(br))?.ports ?? [];

  describe('bridges', () => {
    it('checks that OVS is reachable', async () => {
      await expect(sw.check()).resolves.toBeUndefined();
    });

    it('creates a bridge once and reuses it', async () => {
      expect(await sw.ensureBridge('mmc_br0')).toEqual({ created: true });
      expect(await sw.ensureBridge('mmc_br0')).toEqual({ created: false });
      expect(await sw.bridges()).toContain('mmc_br0');
      const info = await sw.bridge('mmc_br0');
      expect(info).toMatchObject({
        name: 'mmc_br0',
        datapath: sw.datapath,
        ports: [],
        mirrors: [],
      });
      expect(await sw.links()).toContain('mmc_br0');
    });

    it('deletes a bridge with its ports', async () => {
      await sw.ensureBridge('mmc_br0');
      await sw.addTrunk('mmc_br0', 'mmc_trunk');
      await sw.deleteBridge('mmc_br0');
      expect(await sw.bridges()).not.toContain('mmc_br0');
      expect(await sw.bridge('mmc_br0')).toBeUndefined();
      expect(await codeOf(sw.deleteBridge('mmc_br0'))).toBe('ERR_NO_SUCH_BRIDGE');
    });

    it('accepts names that are also ip keywords', async () => {
      expect(await sw.ensureBridge('b')).toEqual({ created: true });
      await sw.createTaps([{ bridge: 'b', name: 'mtu', vlan: 3 }]);
      await sw.createHostTap({ bridge: 'b', name: 'up', vlan: 3 });
      expect((await portsOf('b')).map((p) => p.name)).toEqual(['mtu', 'up']);
      await sw.deleteTaps([
        { bridge: 'b', name: 'mtu' },
        { bridge: 'b', name: 'up' },
      ]);
      expect(await sw.links()).not.toContain('mtu');
      await sw.deleteBridge('b');
    });

    it('rejects bad bridge names', async () => {
      expect(await codeOf(sw.ensureBridge('a_name_longer_than_15'))).toBe('ERR_INVALID_ARGUMENT');
      expect(await codeOf(sw.ensureBridge('bad name'))).toBe('ERR_INVALID_ARGUMENT');
    });

    it('configures a bridge column', async () => {
      await sw.ensureBridge('mmc_br0');
      await expect(
        sw.configureBridge('mmc_br0', 'other_config:mm', 'yes'),
      ).resolves.toBeUndefined();
      expect(await codeOf(sw.configureBridge('mmc_nobr', 'other_config:mm', 'yes'))).toBe(
        'ERR_NO_SUCH_BRIDGE',
      );
    });
  });

  describe('taps', () => {
    it('creates taps with VLAN tags in one batch and deletes them', async () => {
      await sw.ensureBridge('mmc_br0');
      await sw.createTaps([
        { bridge: 'mmc_br0', name: 'mmc_t0', vlan: 10 },
        { bridge: 'mmc_br0', name: 'mmc_t1', vlan: 20, mtu: 1400 },
        { bridge: 'mmc_br0', name: 'mmc_t2', vlan: 0 },
      ]);
      const ports = await portsOf('mmc_br0');
      expect(ports.map((p) => [p.name, p.tag, p.kind])).toEqual([
        ['mmc_t0', 10, 'tap'],
        ['mmc_t1', 20, 'tap'],
        ['mmc_t2', undefined, 'tap'],
      ]);
      expect(await sw.links()).toEqual(expect.arrayContaining(['mmc_t0', 'mmc_t1', 'mmc_t2']));
      await sw.deleteTaps([
        { bridge: 'mmc_br0', name: 'mmc_t0' },
        { bridge: 'mmc_br0', name: 'mmc_t1' },
      ]);
      expect((await portsOf('mmc_br0')).map((p) => p.name)).toEqual(['mmc_t2']);
      const links = await sw.links();
      expect(links).not.toContain('mmc_t0');
      expect(links).toContain('mmc_t2');
      // deleting again is a no-op
      await sw.deleteTaps([{ bridge: 'mmc_br0', name: 'mmc_t0' }]);
    });

    it('creates nothing when one tap of a batch already exists', async () => {
      await sw.ensureBridge('mmc_br0');
      await sw.createTaps([{ bridge: 'mmc_br0', name: 'mmc_t0', vlan: 10 }]);
      const err = await codeOf(
        sw.createTaps([
          { bridge: 'mmc_br0', name: 'mmc_t1', vlan: 10 },
          { bridge: 'mmc_br0', name: 'mmc_t0', vlan: 10 },
        ]),
      );
      expect(err).toBe('ERR_LINK_EXISTS');
      expect(await sw.links()).not.toContain('mmc_t1');
      expect((await portsOf('mmc_br0')).map((p) => p.name)).toEqual(['mmc_t0']);
    });

    it('fails on a missing bridge without leaving devices behind', async () => {
      expect(await codeOf(sw.createTaps([{ bridge: 'mmc_nobr', name: 'mmc_t0', vlan: 1 }]))).toBe(
        'ERR_NO_SUCH_BRIDGE',
      );
      expect(await sw.links()).not.toContain('mmc_t0');
    });

    it('rejects bad VLANs and names', async () => {
      await sw.ensureBridge('mmc_br0');
      expect(await codeOf(sw.createTaps([{ bridge: 'mmc_br0', name: 'mmc_t0', vlan: 4096 }]))).toBe(
        'ERR_INVALID_ARGUMENT',
      );
      expect(
        await codeOf(sw.createTaps([{ bridge: 'mmc_br0', name: 'tap;rm -rf', vlan: 1 }])),
      ).toBe('ERR_INVALID_ARGUMENT');
    });

    it('moves a tap to another bridge and VLAN', async () => {
      await sw.ensureBridge('mmc_br0');
      await sw.ensureBridge('mmc_br1');
      await sw.createTaps([{ bridge: 'mmc_br0', name: 'mmc_t0', vlan: 10 }]);
      await sw.connectPort('mmc_br1', 'mmc_t0', 30);
      expect(await portsOf('mmc_br0')).toEqual([]);
      expect((await portsOf('mmc_br1')).map((p) => [p.name, p.tag])).toEqual([['mmc_t0', 30]]);
      await sw.removePort('mmc_br1', 'mmc_t0');
      expect(await portsOf('mmc_br1')).toEqual([]);
      expect(await sw.links()).toContain('mmc_t0');
      await sw.deleteTaps([{ bridge: 'mmc_br1', name: 'mmc_t0' }]);
    });

    it('creates host taps (internal ports) with an address', async () => {
      await sw.ensureBridge('mmc_br0');
      await sw.createHostTap({ bridge: 'mmc_br0', name: 'mmc_h0', vlan: 10 });
      expect((await portsOf('mmc_br0')).map((p) => [p.name, p.tag, p.kind])).toEqual([
        ['mmc_h0', 10, 'internal'],
      ]);
      expect(await sw.links()).toContain('mmc_h0');
      expect(await codeOf(sw.createHostTap({ bridge: 'mmc_br0', name: 'mmc_h0', vlan: 10 }))).toBe(
        'ERR_PORT_EXISTS',
      );
      // no DHCP server on this VLAN: a command error within the wait given, and the tap stays usable
      expect(await codeOf(sw.requestDhcp('mmc_h0', { timeoutMs: 3000 }))).toBe('ERR_OVS_COMMAND');
      await sw.addAddress('mmc_h0', '192.168.77.1/24');
      expect(await sw.addresses('mmc_h0')).toContain('192.168.77.1/24');
      await sw.deleteTaps([{ bridge: 'mmc_br0', name: 'mmc_h0' }]);
      expect(await sw.links()).not.toContain('mmc_h0');
      expect(await portsOf('mmc_br0')).toEqual([]);
    });
  });

  describe('trunks and tunnels', () => {
    it('adds and removes a trunk port', async () => {
      await sw.ensureBridge('mmc_br0');
      await sw.addTrunk('mmc_br0', 'mmc_trunk');
      expect((await portsOf('mmc_br0')).map((p) => [p.name, p.tag])).toEqual([
        ['mmc_trunk', undefined],
      ]);
      expect(await codeOf(sw.addTrunk('mmc_br0', 'mmc_trunk'))).toBe('ERR_PORT_EXISTS');
      await sw.removePort('mmc_br0', 'mmc_trunk');
      expect(await portsOf('mmc_br0')).toEqual([]);
      expect(await codeOf(sw.removePort('mmc_br0', 'mmc_trunk'))).toBe('ERR_NO_SUCH_PORT');
    });

    it('adds vxlan and gre tunnels with keys and options', async () => {
      await sw.ensureBridge('mmc_br0');
      await sw.addTunnel({
        bridge: 'mmc_br0',
        name: 'mmc_vx',
        type: 'vxlan',
        remoteIp: '10.99.0.2',
        key: 42,
        options: { dst_port: '4790' },
      });
      await sw.addTunnel({
        bridge: 'mmc_br0',
        name: 'mmc_gre',
        type: 'gre',
        remoteIp: '10.99.0.3',
      });
      const ports = await portsOf('mmc_br0');
      expect(ports.map((p) => [p.name, p.kind, p.options])).toEqual([
        ['mmc_gre', 'gre', { remote_ip: '10.99.0.3' }],
        ['mmc_vx', 'vxlan', { remote_ip: '10.99.0.2', key: '42', dst_port: '4790' }],
      ]);
      expect(
        await codeOf(
          sw.addTunnel({ bridge: 'mmc_br0', name: 'mmc_vx', type: 'gre', remoteIp: '1.2.3.4' }),
        ),
      ).toBe('ERR_PORT_EXISTS');
      expect(
        await codeOf(
          sw.addTunnel({ bridge: 'mmc_br0', name: 'mmc_bad', type: 'gre', remoteIp: 'nowhere' }),
        ),
      ).toBe('ERR_INVALID_ARGUMENT');
      expect(
        await codeOf(
          sw.addTunnel({
            bridge: 'mmc_br0',
            name: 'mmc_bad',
            type: 'gre',
            remoteIp: '1.2.3.4',
            key: 'x y',
          }),
        ),
      ).toBe('ERR_INVALID_ARGUMENT');
      await sw.removePort('mmc_br0', 'mmc_vx');
      expect((await portsOf('mmc_br0')).map((p) => p.name)).toEqual(['mmc_gre']);
    });
  });

  describe('mirrors', () => {
    it('mirrors one port or the whole bridge', async () => {
      await sw.ensureBridge('mmc_br0');
      await sw.createTaps([
        { bridge: 'mmc_br0', name: 'mmc_t0', vlan: 10 },
        { bridge: 'mmc_br0', name: 'mmc_t1', vlan: 0 },
        { bridge: 'mmc_br0', name: 'mmc_t2', vlan: 0 },
      ]);
      expect(await sw.addMirror({ bridge: 'mmc_br0', dst: 'mmc_t1', src: 'mmc_t0' })).toBe(
        'mirror-mmc_t1',
      );
      expect(await sw.addMirror({ bridge: 'mmc_br0', dst: 'mmc_t2' })).toBe('mirror-mmc_t2');
      const mirrors = (await sw.bridge('mmc_br0'))?.mirrors ?? [];
      expect(mirrors.sort((a, b) => (a.name < b.name ? -1 : 1))).toEqual([
        { name: 'mirror-mmc_t1', output: 'mmc_t1', src: 'mmc_t0' },
        { name: 'mirror-mmc_t2', output: 'mmc_t2' },
      ]);
      await sw.removeMirror('mmc_br0', 'mmc_t1');
      expect((await sw.bridge('mmc_br0'))?.mirrors.map((m) => m.name)).toEqual(['mirror-mmc_t2']);
      expect(await codeOf(sw.removeMirror('mmc_br0', 'mmc_t1'))).toBe('ERR_NO_SUCH_MIRROR');
      expect(await codeOf(sw.addMirror({ bridge: 'mmc_br0', dst: 'mmc_none' }))).toBe(
        'ERR_NO_SUCH_PORT',
      );
      await sw.deleteTaps(
        ['mmc_t0', 'mmc_t1', 'mmc_t2'].map((name) => ({ bridge: 'mmc_br0', name })),
      );
    });
  });

  describe('qos', () => {
    it('rate-limits a tap with tbf and clears it', async () => {
      await sw.ensureBridge('mmc_br0');
      await sw.createTaps([{ bridge: 'mmc_br0', name: 'mmc_t0', vlan: 10 }]);
      await sw.setQos('mmc_t0', { kind: 'rate', rate: 1, unit: 'mbit' });
      expect(await sw.qdisc('mmc_t0')).toBe('tbf');
      await sw.clearQos('mmc_t0');
      expect(await sw.qdisc('mmc_t0')).not.toBe('tbf');
      await sw.clearQos('mmc_t0'); // nothing to clear: no error
      await sw.deleteTaps([{ bridge: 'mmc_br0', name: 'mmc_t0' }]);
    });

    it('applies loss/delay with netem, or names the missing kernel feature', async () => {
      await sw.ensureBridge('mmc_br0');
      await sw.createTaps([{ bridge: 'mmc_br0', name: 'mmc_t0', vlan: 10 }]);
      const p = sw.setQos('mmc_t0', { kind: 'netem', loss: 5, delay: '100ms' });
      if (f.netem) {
        await p;
        expect(await sw.qdisc('mmc_t0')).toBe('netem');
      } else {
        const err = await p.then(
          () => undefined,
          (e: unknown) => e as { code: string; feature: string; message: string },
        );
        expect(err?.code).toBe('ERR_KERNEL_FEATURE_MISSING');
        expect(err?.feature).toBe('netem');
        expect(err?.message).toContain('netem');
      }
      await sw.deleteTaps([{ bridge: 'mmc_br0', name: 'mmc_t0' }]);
    });

    it('rejects bad qos values and unknown devices', async () => {
      expect(await codeOf(sw.setQos('mmc_none', { kind: 'rate', rate: 1, unit: 'mbit' }))).toBe(
        'ERR_NO_SUCH_LINK',
      );
      expect(await codeOf(sw.setQos('mmc_none', { kind: 'netem', loss: 100 }))).toBe(
        'ERR_INVALID_ARGUMENT',
      );
      expect(await codeOf(sw.setQos('mmc_none', { kind: 'rate', rate: 0, unit: 'mbit' }))).toBe(
        'ERR_INVALID_ARGUMENT',
      );
    });
  });
}
