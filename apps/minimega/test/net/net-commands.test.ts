import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeSwitch, type FakeSwitch, fixedSwitchProvider } from '@mm/ovs';
import { describe, expect, it } from 'vitest';
import { createNetModule } from '../../src/commands/net/index.js';
import { createDaemonCore } from '../../src/daemon/core.js';
import { defaultDaemonFlags } from '../../src/daemon/flags.js';
import { createLogger } from '../../src/log/logger.js';
import { netDaemon } from './harness.js';

const portsOf = (sw: FakeSwitch, br: string) => [...(sw.state.bridges.get(br)?.ports.keys() ?? [])];

describe('tap commands (fake switch)', () => {
  it('replays minitest taps_lifecycle', async () => {
    const sw = createFakeSwitch();
    await using d = await netDaemon(sw);
    const t = await d.transcript([
      '.filter bridge=minitest tap',
      'tap create 10 bridge minitest name minitest_tap0',
      '.filter bridge=minitest tap',
      'tap create 10 bridge minitest name minitest_tap0',
      'tap create 10 bridge minitest ip 192.168.100.1 minitest_tap1',
      '.filter bridge=minitest tap',
      'tap delete all',
      '.filter bridge=minitest tap',
    ]);
    expect(t).toBe(
      [
        '## .filter bridge=minitest tap',
        '## tap create 10 bridge minitest name minitest_tap0',
        'minitest_tap0',
        '## .filter bridge=minitest tap',
        'bridge   | tap           | vlan',
        'minitest | minitest_tap0 | 10',
        '## tap create 10 bridge minitest name minitest_tap0',
        'E: tap already on bridge',
        '## tap create 10 bridge minitest ip 192.168.100.1 minitest_tap1',
        'minitest_tap1',
        '## .filter bridge=minitest tap',
        'bridge   | tap           | vlan',
        'minitest | minitest_tap0 | 10',
        'minitest | minitest_tap1 | 10',
        '## tap delete all',
        '## .filter bridge=minitest tap',
        '',
      ].join('\n'),
    );
    expect(portsOf(sw, 'minitest')).toEqual([]);
    expect(sw.state.links.has('minitest_tap1')).toBe(false);
  });

  it('gives host taps an address and generated names, per namespace', async () => {
    const sw = createFakeSwitch();
    await using d = await netDaemon(sw);
    const r = await d.run('tap create LAN ip 10.9.0.1/24');
    expect(r.errors).toEqual([]);
    expect(r.text.trim()).toMatch(/^mega_tap\d+$/);
    const tap = r.text.trim();
    expect(sw.state.addresses.get(tap)).toEqual(['10.9.0.1/24']);
    expect((await d.run('tap')).text).toContain(`mega_bridge | ${tap} | LAN (101)`);
    await d.core.namespaces.activate('other');
    expect((await d.run('tap')).text).toBe('');
    expect((await d.run(`tap delete ${tap}`)).errors).toEqual([
      'not a host tap in active namespace',
    ]);
    expect((await d.run('tap delete nope')).errors).toEqual(['unknown tap']);
    await d.core.namespaces.activate('minimega');
    expect((await d.run(`tap delete ${tap}`)).errors).toEqual([]);
    expect(sw.state.links.has(tap)).toBe(false);
  });

  it('runs DHCP on a host tap, and destroys the tap when there is no lease', async () => {
    const sw = createFakeSwitch({ dhcp: (link) => (link === 'mm_d1' ? '10.5.0.9/24' : undefined) });
    await using d = await netDaemon(sw);
    expect((await d.run('tap create 5 dhcp mm_d1')).errors).toEqual([]);
    expect(sw.state.addresses.get('mm_d1')).toEqual(['10.5.0.9/24']);
    const r = await d.run('tap create 5 dhcp mm_d2');
    // the exit status, then udhcpc's words once (not the whole failed command again)
    expect(r.errors).toEqual(['dhcp error exit status 1: `udhcpc: no lease, failing`']);
    expect(sw.state.links.has('mm_d2')).toBe(false);
    expect((await d.run('tap')).text).not.toContain('mm_d2');
  });

  it('rejects reserved names and VM taps', async () => {
    const sw = createFakeSwitch();
    await using d = await netDaemon(sw);
    expect((await d.run('tap create 5 bridge all')).errors[0]).toContain(
      '`all` is a reserved word',
    );
    expect((await d.run('tap create 5 name all')).errors[0]).toContain('cannot use for tap name');
    const vmTap = await d.net.createTap({
      namespace: 'minimega',
      vm: 'vm0',
      bridge: 'mega_bridge',
      vlan: 5,
      mac: '',
    });
    expect((await d.run(`tap delete ${vmTap}`)).errors).toEqual(['not a host tap']);
  });

  it('mirrors taps and clears mirrors and taps', async () => {
    const sw = createFakeSwitch();
    await using d = await netDaemon(sw);
    await d.run('tap create 5 name mm_src');
    await d.run('tap create 5 name mm_dst');
    expect((await d.run('tap mirror mm_src mm_src')).errors).toEqual([
      'cannot mirror tap to itself',
    ]);
    expect((await d.run('tap mirror mm_src mm_dst')).errors).toEqual([]);
    expect(sw.state.bridges.get('mega_bridge')?.mirrors.size).toBe(1);
    expect((await d.run('tap mirror mm_src mm_dst')).errors).toEqual([
      'destination tap is already a mirror',
    ]);
    expect((await d.run('clear tap mirror nope')).errors).toEqual(['not a valid mirror']);
    await d.run('clear tap');
    expect(sw.state.bridges.get('mega_bridge')?.mirrors.size).toBe(0);
    expect(portsOf(sw, 'mega_bridge')).toEqual([]);
  });
});

describe('VM tap mirrors (fake switch)', () => {
  it('mirrors one VM NIC onto another and clears it by VM NIC', async () => {
    const sw = createFakeSwitch();
    await using d = await netDaemon(sw);
    const nic = (vm: string, bridge = 'mega_bridge') =>
      d.net.createTap({ namespace: 'minimega', vm, bridge, vlan: 5, mac: '' });
    const a0 = await nic('a');
    const b0 = await nic('b');
    await nic('c', 'other_br');
    const err = async (line: string) => (await d.run(line)).errors;
    expect(await err('tap mirror a 1 b 0')).toEqual(['no such interface 1 for a']);
    expect(await err('tap mirror a 0 zz 0')).toEqual([
      'vms are not colocated or invalid vm name: zz',
    ]);
    expect(await err('tap mirror a 0 c 0')).toEqual([
      'interfaces on different bridges: mega_bridge and other_br',
    ]);
    expect(await err('tap mirror a 0 b 0')).toEqual([]);
    expect([...(sw.state.bridges.get('mega_bridge')?.mirrors.values() ?? [])]).toEqual([
      { name: `mirror-${b0}`, output: b0, src: a0 },
    ]);
    expect(await err('clear tap mirror a 0')).toEqual(['not a valid mirror']);
    expect(await err('clear tap mirror b all')).toEqual([]);
    expect(sw.state.bridges.get('mega_bridge')?.mirrors.size).toBe(0);
  });
});

describe('bridge commands (fake switch)', () => {
  it('replays minitest bridge_trunk (without the shell lines)', async () => {
    const sw = createFakeSwitch();
    await using d = await netDaemon(sw);
    const t = await d.transcript([
      'bridge trunk minitest minitest_tap0',
      '.columns "trunks" .filter bridge=minitest bridge',
      'bridge notrunk minitest minitest_tap0',
      '.columns "trunks" .filter bridge=minitest bridge',
    ]);
    expect(t).toBe(
      [
        '## bridge trunk minitest minitest_tap0',
        '## .columns "trunks" .filter bridge=minitest bridge',
        'trunks',
        '[minitest_tap0]',
        '## bridge notrunk minitest minitest_tap0',
        '## .columns "trunks" .filter bridge=minitest bridge',
        'trunks',
        '[]',
        '',
      ].join('\n'),
    );
  });

  it('lists bridges with every column and errors as minimega', async () => {
    const sw = createFakeSwitch({ preexisting: ['pre_br'] });
    await using d = await netDaemon(sw);
    await d.run('bridge trunk pre_br eth9');
    expect((await d.run('bridge trunk pre_br eth9')).errors).toEqual([
      'bridge already trunking to eth9',
    ]);
    expect((await d.run('bridge notrunk pre_br eth8')).errors).toEqual(['unknown trunk: eth8']);
    const tun = (await d.run('bridge tunnel vxlan pre_br 10.0.0.2 77')).text.trim();
    expect(tun).toMatch(/^mega_tap\d+$/);
    expect(sw.state.bridges.get('pre_br')?.ports.get(tun)?.options).toEqual({
      remote_ip: '10.0.0.2',
      key: '77',
    });
    expect((await d.run('bridge notunnel pre_br nope')).errors).toEqual(['unknown tunnel: nope']);
    expect((await d.run('bridge config pre_br rstp_enable')).errors).toEqual([
      'expected key=value',
    ]);
    await d.run('bridge config pre_br rstp_enable=true');
    await d.net.createTap({ namespace: 'minimega', vm: 'a', bridge: 'pre_br', vlan: 300, mac: '' });
    d.net.resolveVlan('minimega', 'DMZ');
    await d.net.createTap({ namespace: 'minimega', vm: 'b', bridge: 'pre_br', vlan: 101, mac: '' });
    const r = await d.run('bridge');
    expect(r.text).toBe(
      [
        'bridge      | preexisting | vlans           | trunks | tunnels     | bonds | config',
        'mega_bridge | false       | []              | []     | []          | []    | {}',
        `pre_br      | true        | [300 DMZ (101)] | [eth9] | [${tun}] | []    | {"rstp_enable":"true"}`,
      ].join('\n'),
    );
  });

  it('destroys a bridge with everything on it, keeping pre-existing bridges', async () => {
    const sw = createFakeSwitch({ preexisting: ['pre_br'] });
    await using d = await netDaemon(sw);
    await d.run('tap create 5 bridge pre_br name mm_h');
    await d.run('bridge trunk pre_br eth9');
    await d.run('bridge destroy pre_br');
    expect(sw.state.bridges.has('pre_br')).toBe(true);
    expect(portsOf(sw, 'pre_br')).toEqual([]);
    await d.run('tap create 5 bridge mine name mm_h2');
    await d.run('bridge destroy mine');
    expect(sw.state.bridges.has('mine')).toBe(false);
    expect((await d.run('tap')).text).toBe('');
  });
});

describe('vlans commands (fake switch)', () => {
  it('adds, ranges, blacklists and clears per namespace', async () => {
    const sw = createFakeSwitch();
    await using d = await netDaemon(sw);
    expect(d.net.resolveVlan('minimega', 'A')).toBe(101);
    expect(
      await d.transcript(['vlans add foo 200', 'vlans add foo 201', 'vlans add bar x', 'vlans']),
    ).toBe(
      [
        '## vlans add foo 200',
        '## vlans add foo 201',
        'E: alias already in use',
        '## vlans add bar x',
        'E: expected integer VLAN',
        '## vlans',
        'alias | vlan',
        'A     | 101',
        'foo   | 200',
        '',
      ].join('\n'),
    );
    expect((await d.run('vlans range')).text).toBe('min  | max  | next\n101  | 4096 | 102');
    await d.core.namespaces.activate('foo');
    expect((await d.run('vlans range 130 120')).errors).toEqual(['expected min > max']);
    expect((await d.run('vlans range a b')).errors).toEqual([
      'expected integer values for min/max',
    ]);
    await d.run('vlans range 120 130');
    expect(d.net.resolveVlan('foo', 'B')).toBe(120);
    expect(d.net.printVlan('minimega', 120)).toBe('foo//B (120)');
    expect(d.net.printAlias('foo', 120)).toBe('B');
    expect(d.net.vlanRange('foo')).toMatchObject({ min: 120, max: 130 });
    await d.run('vlans blacklist 125');
    expect((await d.run('vlans blacklist')).text).toBe('vlan\n125');
    await d.run('clear vlans');
    expect((await d.run('vlans')).text).toBe('');
    expect(d.net.vlanRange('foo')).toBeUndefined();
    await d.core.namespaces.activate('minimega');
    expect(await readFile(join(d.base, 'vlans'), 'utf8')).toBe(
      'Alias         VLAN\nminimega//A   101\nminimega//foo 200\n',
    );
  });

  it('frees a namespace aliases and host taps when the namespace is deleted', async () => {
    const sw = createFakeSwitch();
    await using d = await netDaemon(sw);
    await d.core.namespaces.activate('gone');
    await d.run('tap create X name mm_gone');
    expect(d.net.resolveVlan('gone', 'X')).toBe(101);
    await d.core.namespaces.activate('minimega');
    await d.core.namespaces.delete('gone');
    expect(sw.state.links.has('mm_gone')).toBe(false);
    expect(d.net.resolveVlan('minimega', 'Y')).toBe(101);
  });
});

describe('VM networking service (fake switch)', () => {
  it('coalesces concurrent tap creates and deletes into one batch each', async () => {
    const sw = createFakeSwitch();
    let creates = 0;
    let deletes = 0;
    const createTaps = sw.createTaps.bind(sw);
    const deleteTaps = sw.deleteTaps.bind(sw);
    sw.createTaps = async (s, o) => {
      creates++;
      return createTaps(s, o);
    };
    sw.deleteTaps = async (s, o) => {
      deletes++;
      return deleteTaps(s, o);
    };
    await using d = await netDaemon(sw);
    const names = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        d.net.createTap({
          namespace: 'minimega',
          vm: `vm${i}`,
          bridge: 'mega_bridge',
          vlan: 100 + i,
          mac: '',
        }),
      ),
    );
    expect(new Set(names).size).toBe(20);
    expect(creates).toBe(1);
    expect(sw.state.bridges.get('mega_bridge')?.ports.get(names[3]!)?.tag).toBe(103);
    await Promise.all(names.map((tap) => d.net.deleteTap({ bridge: 'mega_bridge', tap })));
    expect(deletes).toBe(1);
    expect(portsOf(sw, 'mega_bridge')).toEqual([]);
  });

  it('skips tap names that exist on the host', async () => {
    const sw = createFakeSwitch({ links: ['mega_tap0', 'mega_tap1'] });
    await using d = await netDaemon(sw);
    const t = await d.net.createTap({
      namespace: 'minimega',
      vm: 'a',
      bridge: '',
      vlan: 1,
      mac: '',
    });
    expect(t).toBe('mega_tap2');
  });

  it('fails only the bad request of a batch', async () => {
    const sw = createFakeSwitch();
    await using d = await netDaemon(sw);
    const results = await Promise.allSettled([
      d.net.createTap({ namespace: 'minimega', vm: 'a', bridge: 'ok_br', vlan: 1, mac: '' }),
      d.net.createTap({ namespace: 'minimega', vm: 'b', bridge: 'bad bridge', vlan: 1, mac: '' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
  });

  it('moves taps between VLANs and bridges, and disconnects them', async () => {
    const sw = createFakeSwitch();
    await using d = await netDaemon(sw);
    const tap = await d.net.createTap({
      namespace: 'minimega',
      vm: 'a',
      bridge: 'mega_bridge',
      vlan: 10,
      mac: '',
    });
    await d.net.connectTap?.({ bridge: 'other_br', tap, vlan: 20 });
    expect(portsOf(sw, 'mega_bridge')).toEqual([]);
    expect(sw.state.bridges.get('other_br')?.ports.get(tap)?.tag).toBe(20);
    await d.net.disconnectTap?.({ bridge: 'other_br', tap });
    expect(portsOf(sw, 'other_br')).toEqual([]);
    expect(sw.state.links.has(tap)).toBe(true);
    expect(d.net.printVlan('minimega', -1)).toBe('disconnected');
    await d.net.deleteTap({ bridge: '', tap });
    expect(sw.state.links.has(tap)).toBe(false);
  });
});

describe('teardown (fake switch)', () => {
  it('clear all removes taps, trunks, tunnels, bridges and aliases', async () => {
    const sw = createFakeSwitch({ preexisting: ['pre_br'] });
    await using d = await netDaemon(sw);
    await d.run('tap create A name mm_h');
    await d.run('bridge trunk pre_br eth9');
    await d.run('bridge tunnel gre mine 10.0.0.9');
    await d.net.createTap({ namespace: 'minimega', vm: 'a', bridge: 'mine', vlan: 10, mac: '' });
    expect((await d.run('clear all')).errors).toEqual([]);
    expect([...sw.state.bridges.keys()]).toEqual(['pre_br']);
    expect(portsOf(sw, 'pre_br')).toEqual([]);
    expect([...sw.state.links].filter((l) => l.startsWith('m'))).toEqual([]);
    expect((await d.run('vlans')).text).toBe('');
  });

  it('shutdown removes everything and the bridges file', async () => {
    const sw = createFakeSwitch();
    await using d = await netDaemon(sw);
    expect((await d.run('tap create A bridge b1 name mm_h')).errors).toEqual([]);
    await d.net.createTap({ namespace: 'minimega', vm: 'a', bridge: 'b2', vlan: 10, mac: '' });
    expect(await readFile(join(d.base, 'bridges'), 'utf8')).toContain('b1');
    await d.core.shutdown('test');
    expect(sw.state.bridges.size).toBe(0);
    expect([...sw.state.links]).toEqual(['lo']);
    await expect(readFile(join(d.base, 'bridges'), 'utf8')).rejects.toThrow();
    await d.core.shutdown('test');
  });

  it('never touches OVS when nothing was created', async () => {
    let asked = 0;
    await using d = await netDaemon(() => ({
      get: async () => {
        asked++;
        return createFakeSwitch();
      },
      connected: false,
      close: async () => {},
    }));
    await d.run('vlans');
    await d.run('clear all');
    await d.core.shutdown('test');
    expect(asked).toBe(0);
  });
});

describe('recovery (fake switch)', () => {
  it('-recover re-adds the aliases of <base>/vlans', async () => {
    const sw = createFakeSwitch();
    let base = '';
    {
      await using d = await netDaemon(sw);
      d.net.resolveVlan('minimega', 'A');
      d.net.resolveVlan('foo', 'B');
      await d.run('vlans add C 300');
      // keep the files: copy them out before the base goes
      base = await readFile(join(d.base, 'vlans'), 'utf8');
    }
    const dir = await mkdtemp(join(tmpdir(), `mm-net-rec${process.pid}-`));
    try {
      await writeFile(join(dir, 'vlans'), base);
      const core = await createDaemonCore({
        flags: defaultDaemonFlags({ base: dir, recover: true }),
        log: createLogger({ level: 'fatal', stderr: false }),
        hostname: 'testhost',
        modules: [createNetModule({ provider: () => fixedSwitchProvider(sw) })],
      });
      const net = core.services.networking as unknown as {
        printVlan(ns: string, v: number): string;
      };
      expect(net.printVlan('minimega', 101)).toBe('A (101)');
      expect(net.printVlan('minimega', 102)).toBe('foo//B (102)');
      expect(net.printVlan('minimega', 300)).toBe('C (300)');
      await core.shutdown('test');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
