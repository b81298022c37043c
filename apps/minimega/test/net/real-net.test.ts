// The daemon's networking commands against a real (private) Open vSwitch:
// what they create is visible with ovs-vsctl and ip, and gone after clear,
// flush and shutdown.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSwitchProvider } from '@mm/ovs';
import { execa } from 'execa';
import { describe, expect } from 'vitest';
import type { Logger } from '../../src/context.js';
import { daemonInNetns } from './daemon-netns.js';
import { netDaemon, qosInfo } from './harness.js';
import { ovsNetns, realOvs } from './real-support.js';

const noop = () => {};
const quietLog: Logger = { debug: noop, info: noop, warn: noop, error: noop, level: 'fatal' };

describe('networking commands on a real OVS', () => {
  realOvs.test(
    'host taps: visible with ovs-vsctl and ip, gone after tap delete and clear tap',
    async () => {
      await using h = await ovsNetns();
      await using d = await netDaemon(h.sw);
      expect((await d.run('tap create 10 bridge mm_rt name mm_rt0')).errors).toEqual([]);
      expect((await d.run('tap create 10 bridge mm_rt ip 192.168.100.1/24 mm_rt1')).errors).toEqual(
        [],
      );
      expect((await d.run('tap create 10 bridge mm_rt name mm_rt0')).errors).toEqual([
        'tap already on bridge',
      ]);
      expect((await h.vsctl('list-ports', 'mm_rt')).split('\n')).toEqual(['mm_rt0', 'mm_rt1']);
      expect(await h.vsctl('get', 'port', 'mm_rt0', 'tag')).toBe('10');
      expect(await h.inNs('ip', '-o', 'addr', 'show', 'dev', 'mm_rt1')).toContain(
        '192.168.100.1/24',
      );
      await d.run('tap delete mm_rt0');
      expect(await h.vsctl('list-ports', 'mm_rt')).toBe('mm_rt1');
      await d.run('clear tap');
      expect(await h.vsctl('list-ports', 'mm_rt')).toBe('');
      expect(await h.links()).not.toContain('mm_rt1');
    },
  );

  realOvs.test(
    'trunks and tunnels: visible, then gone after notrunk/notunnel and clear all',
    async () => {
      await using h = await ovsNetns();
      await using d = await netDaemon(h.sw);
      await d.run('bridge trunk mm_tr mm_trunk0');
      expect(await h.vsctl('list-ports', 'mm_tr')).toBe('mm_trunk0');
      await d.run('bridge notrunk mm_tr mm_trunk0');
      expect(await h.vsctl('list-ports', 'mm_tr')).toBe('');
      const vx = (await d.run('bridge tunnel vxlan mm_tr 10.99.0.2 42')).text.trim();
      const gre = (await d.run('bridge tunnel gre mm_tr 10.99.0.3')).text.trim();
      expect(await h.vsctl('get', 'interface', vx, 'type')).toBe('vxlan');
      expect(await h.vsctl('get', 'interface', vx, 'options')).toBe(
        '{key="42", remote_ip="10.99.0.2"}',
      );
      expect(await h.vsctl('get', 'interface', gre, 'type')).toBe('gre');
      await d.run('bridge notunnel mm_tr ' + gre);
      expect(await h.vsctl('list-ports', 'mm_tr')).toBe(vx);
      await d.run('bridge trunk mm_tr mm_trunk1');
      expect((await d.run('clear all')).errors).toEqual([]);
      expect(await h.vsctl('list-br')).toBe('');
      expect(await h.links()).not.toContain('mm_tr');
    },
  );

  realOvs.test('VM taps: tagged at create, moved, gone after delete (vm flush)', async () => {
    await using h = await ovsNetns();
    await using d = await netDaemon(h.sw);
    const taps = await Promise.all(
      [100, 200].map((vlan, i) =>
        d.net.createTap({ namespace: 'minimega', vm: `vm${i}`, bridge: 'mm_vm', vlan, mac: '' }),
      ),
    );
    expect((await h.vsctl('list-ports', 'mm_vm')).split('\n').sort()).toEqual([...taps].sort());
    expect(await h.vsctl('get', 'port', taps[1]!, 'tag')).toBe('200');
    await d.net.connectTap?.({ bridge: 'mm_vm', tap: taps[1]!, vlan: 300 });
    expect(await h.vsctl('get', 'port', taps[1]!, 'tag')).toBe('300');
    expect((await d.run('.columns bridge,vlans bridge')).text).toContain('mm_vm       | [100 300]');
    await Promise.all(taps.map((tap) => d.net.deleteTap({ bridge: 'mm_vm', tap })));
    expect(await h.vsctl('list-ports', 'mm_vm')).toBe('');
    const links = await h.links();
    for (const t of taps) expect(links).not.toContain(t);
  });

  realOvs.test(
    'qos add: rate shows in tc; loss names the missing netem; clear qos removes',
    async () => {
      await using h = await ovsNetns();
      await using d = await netDaemon(h.sw);
      const tap = await d.net.createTap({
        namespace: 'minimega',
        vm: 'q',
        bridge: 'mm_q',
        vlan: 5,
        mac: '',
      });
      expect((await d.run('qos add q 0 rate 1 mbit')).errors).toEqual([]);
      expect(await h.inNs('tc', 'qdisc', 'show', 'dev', tap)).toMatch(
        /tbf .*rate 1Mbit burst 1280b lat 20ms/,
      );
      const probe = await h.inNs(
        'sh',
        '-c',
        'tc qdisc add dev lo root netem delay 1ms 2>&1; tc qdisc del dev lo root 2>/dev/null; true',
      );
      const loss = await d.run('qos add q 0 loss 5');
      if (/unknown/i.test(probe)) {
        expect(loss.errors).toHaveLength(1);
        expect(loss.errors[0]).toContain('netem');
        expect(qosInfo(d.net, [tap])).toBe('[]');
      } else {
        expect(loss.errors).toEqual([]);
        expect(await h.inNs('tc', 'qdisc', 'show', 'dev', tap)).toContain('netem');
      }
      await d.run('qos add q 0 rate 2 mbit');
      await d.run('clear qos q');
      expect(await h.inNs('tc', 'qdisc', 'show', 'dev', tap)).not.toContain('tbf');
    },
  );

  realOvs.test('shutdown removes every bridge and tap it created', async () => {
    await using h = await ovsNetns();
    await using d = await netDaemon(h.sw);
    await d.run('tap create A bridge mm_sd1 name mm_sdh');
    await d.net.createTap({ namespace: 'minimega', vm: 'x', bridge: 'mm_sd2', vlan: 7, mac: '' });
    await d.run('bridge trunk mm_sd2 mm_sdt');
    expect((await h.vsctl('list-br')).split('\n')).toEqual(['mm_sd1', 'mm_sd2']);
    await d.core.shutdown('test');
    expect(await h.vsctl('list-br')).toBe('');
    expect((await h.links()).filter((l) => l.startsWith('m'))).toEqual([]);
  });

  realOvs.test(
    'a pre-existing bridge is reused and survives shutdown without our ports',
    async () => {
      await using h = await ovsNetns();
      await h.vsctl('add-br', 'mm_pre', '--', 'set', 'bridge', 'mm_pre', 'datapath_type=netdev');
      await using d = await netDaemon(h.sw);
      await d.run('tap create 9 bridge mm_pre name mm_preh');
      expect(
        (await d.run('.columns bridge,preexisting .filter bridge=mm_pre bridge')).text,
      ).toContain('true');
      await d.core.shutdown('test');
      expect(await h.vsctl('list-br')).toBe('mm_pre');
      expect(await h.vsctl('list-ports', 'mm_pre')).toBe('');
    },
  );

  realOvs.test(
    'a daemon with no reachable OVS starts an embedded one under <base>/ovs and stops it at shutdown',
    async () => {
      // no -ovs-embedded flag: OVS_RUNDIR points where no OVS runs
      await using d = await daemonInNetns('mme');
      const c = d.client;
      const run = async (line: string) => {
        const replies = await c.runAll(line);
        return replies
          .flatMap((r) => r.Resp ?? [])
          .map((r) => r.Error)
          .filter((e) => e !== '');
      };
      expect(await run('bridge trunk minitest minitest_tap0')).toEqual([]);
      expect((await execa('ovs-vsctl', ['list-ports', 'minitest'], { env: d.ovsEnv })).stdout).toBe(
        'minitest_tap0',
      );
      const shell = (await c.runAll('shell ovs-vsctl list-ports minitest'))
        .map((r) => r.Rendered)
        .join('');
      expect(shell).toContain('minitest_tap0');
      expect(await run('tap create 10 bridge minitest name mm_embh')).toEqual([]);
      const pids = await Promise.all(
        ['ovs-vswitchd.pid', 'ovsdb-server.pid'].map(async (f) =>
          Number((await readFile(join(d.base, 'ovs', f), 'utf8')).trim()),
        ),
      );
      expect(await d.quit()).toBe(0);
      const left = (await execa('ip', ['netns', 'exec', d.netns, 'ip', '-o', 'link', 'show']))
        .stdout;
      expect(left).not.toMatch(/minitest|ovs-netdev|mm_embh/);
      // a zombie counts as gone (detached daemons are reaped by init, whenever)
      const alive = (pid: number) => {
        try {
          return !/^\d+ \(.*\) [ZX] /s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
        } catch {
          return false;
        }
      };
      expect(pids.filter(alive)).toEqual([]);
    },
    60_000,
  );
  realOvs.test(
    'with -ovs-embedded=false and no OVS reachable, commands fail naming OVS',
    async () => {
      const saved = process.env.OVS_RUNDIR;
      process.env.OVS_RUNDIR = `/tmp/mm-net-noovs-${process.pid}`;
      try {
        await using d = await netDaemon((base) =>
          createSwitchProvider({
            base,
            embedded: false,
            datapath: 'netdev',
            log: quietLog,
          }),
        );
        const r = await d.run('tap create 5');
        expect(r.errors).toHaveLength(1);
        expect(r.errors[0]).toMatch(/^openvswitch does not appear to be running/);
        expect((await d.run('vlans')).errors).toEqual([]); // the daemon keeps working
      } finally {
        if (saved === undefined) delete process.env.OVS_RUNDIR;
        else process.env.OVS_RUNDIR = saved;
      }
    },
  );
});
