// The HostNetwork contract on the fake switch and on a real private OVS in a
// netns, plus what only the fake can observe (batching, netem merging).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '#test-support';
import {
  createFakeSwitch,
  createHostNetwork,
  createOvsSwitch,
  type Switch,
  type TapSpec,
} from '../src/index.js';
import { hostNetworkCompliance } from './host-network-compliance.js';
import { type OvsHost, realOvs, startOvsHost } from './support.js';

describe('host network on the fake switch', () => {
  hostNetworkCompliance(async () => ({
    sw: createFakeSwitch(),
    netem: true,
    cleanup: async () => {},
  }));
});

describe('host network specifics (fake switch)', () => {
  const withNet = async (sw: Switch) => {
    const dir = await tempDir('mm-hostnet-');
    const net = createHostNetwork({ switch: sw, baseDir: dir.path, bandwidthPeriodMs: 0 });
    return {
      net,
      async [Symbol.asyncDispose]() {
        await net.close();
        await dir[Symbol.asyncDispose]();
      },
    };
  };

  it('makes the taps of one turn in one switch batch; a bad one fails alone', async () => {
    const fake = createFakeSwitch();
    const batches: TapSpec[][] = [];
    const sw: Switch = {
      ...fake,
      createTaps: async (specs, o) => {
        batches.push([...specs]);
        if (specs.some((s) => s.vlan === 4095)) throw new Error('bad vlan');
        return fake.createTaps(specs, o);
      },
    };
    await using h = await withNet(sw);
    const req = (vm: string, vlan: number) =>
      h.net.createTap({ namespace: 'n', vm, bridge: '', vlan, mac: '' });
    const taps = await Promise.all(Array.from({ length: 20 }, (_, i) => req(`vm${i}`, 100 + i)));
    expect(taps).toHaveLength(20);
    expect(batches).toHaveLength(1);
    batches.length = 0;
    const mixed = await Promise.allSettled([req('x', 10), req('y', 4095), req('z', 11)]);
    expect(mixed.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(batches.map((b) => b.length)).toEqual([3, 1, 1, 1]);
  });

  it('loss and delay merge, rate replaces them; a failed tc leaves the tap without qos', async () => {
    const sw = createFakeSwitch({ netem: true });
    await using h = await withNet(sw);
    const tap = await h.net.createTap({ namespace: 'n', vm: 'a', bridge: '', vlan: 5, mac: '' });
    await h.net.setQos(tap, { kind: 'netem', loss: 5 });
    await h.net.setQos(tap, { kind: 'netem', delay: '100ms' });
    expect(h.net.tapQos(tap)).toBe('loss 5 delay 100ms');
    expect(sw.state.qdiscs.get(tap)).toEqual({ kind: 'netem', loss: 5, delay: '100ms' });
    await h.net.setQos(tap, { kind: 'rate', rate: 1, unit: 'gbit' });
    expect(h.net.tapQos(tap)).toBe('rate 1gbit');
    const noNetem = createFakeSwitch({ netem: false });
    await using h2 = await withNet(noNetem);
    const t2 = await h2.net.createTap({ namespace: 'n', vm: 'a', bridge: '', vlan: 5, mac: '' });
    await expect(h2.net.setQos(t2, { kind: 'netem', loss: 5 })).rejects.toThrow();
    expect(h2.net.tapQos(t2)).toBeUndefined();
  });

  it('veths need a maker; with one, the host end goes on the bridge and is removed on failure', async () => {
    const sw = createFakeSwitch();
    await using h = await withNet(sw);
    const veth = { namespace: 'n', vm: 'c', bridge: '', vlan: 5, mac: '', pid: 1, peer: 'eth0' };
    await expect(h.net.attachVeth(veth)).rejects.toMatchObject({ code: 'ERR_NET_CAPABILITY' });
    const dir = await tempDir('mm-hostnet-');
    const made: string[] = [];
    const net = createHostNetwork({
      switch: sw,
      baseDir: dir.path,
      bandwidthPeriodMs: 0,
      veth: {
        create: async (s) => {
          made.push(s.tap);
          sw.state.links.add(s.tap); // what `ip link add ... type veth` leaves
        },
        remove: async (tap) => {
          made.splice(made.indexOf(tap), 1);
          sw.state.links.delete(tap);
        },
      },
    });
    const tap = await net.attachVeth(veth);
    expect(made).toEqual([tap]);
    expect(
      net
        .vmTaps('n')
        .get('c')
        ?.map((t) => t.name),
    ).toEqual([tap]);
    await net.close();
    await dir[Symbol.asyncDispose]();
  });

  it('a provider is connected only when used: a network never used never touches OVS', async () => {
    const dir = await tempDir('mm-hostnet-');
    let gets = 0;
    const net = createHostNetwork({
      switch: {
        get: async () => {
          gets++;
          return createFakeSwitch();
        },
        connected: false,
        close: async () => {},
      },
      baseDir: dir.path,
      bandwidthPeriodMs: 0,
    });
    expect(net.resolveVlan('n', 'A')).toBe(101);
    await net.clearAll();
    await net.close();
    expect(gets).toBe(0);
    await dir[Symbol.asyncDispose]();
  });
});

describe.runIf(realOvs.ok || process.env.CI === 'true')(
  'host network on a real switch (private OVS in a netns)',
  () => {
    let host: OvsHost | undefined;
    let sw: Switch;
    beforeAll(async () => {
      if (!realOvs.ok) return;
      host = await startOvsHost('mmhn');
      sw = createOvsSwitch({ env: host.ovs.env, netns: host.netns.name, datapath: 'netdev' });
    });
    afterAll(async () => {
      await host?.[Symbol.asyncDispose]();
    });
    hostNetworkCompliance(async () => {
      if (!host) throw new Error(`no private OVS: ${realOvs.why}`);
      return {
        sw,
        netem: false,
        async cleanup() {
          for (const br of await sw.bridges()) await sw.deleteBridge(br);
          const taps = (await sw.links()).filter(
            (l) => l.startsWith('mega_tap') || l === 'mmh_host',
          );
          if (taps.length > 0)
            await host?.netns.exec(['sh', '-c', taps.map((t) => `ip link del ${t};`).join(' ')]);
        },
      };
    });
  },
);
