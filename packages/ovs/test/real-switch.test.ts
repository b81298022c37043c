import { afterAll, beforeAll, describe, expect } from 'vitest';
import { createOvsSwitch, type RunResult, type Switch } from '../src/index.js';
import { createExecRunner } from '../src/runner.js';
import { type OvsHost, realOvs, startOvsHost } from './support.js';
import { switchCompliance } from './switch-compliance.js';

describe.runIf(realOvs.ok || process.env.CI === 'true')(
  'real switch (private OVS in a netns)',
  () => {
    let host: OvsHost | undefined;
    let calls: string[][] = [];
    let sw: Switch;
    beforeAll(async () => {
      if (!realOvs.ok) return;
      host = await startOvsHost();
      const inner = createExecRunner({ env: host.ovs.env, netns: host.netns.name });
      sw = createOvsSwitch({
        env: host.ovs.env,
        netns: host.netns.name,
        datapath: 'netdev',
        runner: async (argv, o): Promise<RunResult> => {
          calls.push([...argv]);
          return inner(argv, o);
        },
      });
    });
    afterAll(async () => {
      await host?.[Symbol.asyncDispose]();
    });

    realOvs.test('starts a private OVS that ovs-vsctl reaches through OVS_RUNDIR', async () => {
      await sw.check();
      expect(host?.ovs.env.OVS_RUNDIR).toBe(host?.dir);
    });

    describe('compliance', () => {
      switchCompliance(async () => {
        if (!host) throw new Error('no private OVS');
        return {
          sw,
          netem: false,
          async cleanup() {
            for (const br of await sw.bridges()) await sw.deleteBridge(br);
            const taps = (await sw.links()).filter((l) => l.startsWith('mmc_') || l === 'mtu');
            await host?.netns.exec([
              'sh',
              '-c',
              taps.map((t) => `ip link del ${t};`).join(' ') || 'true',
            ]);
          },
        };
      });
    });

    realOvs.test('batches 50 taps into one ip and one ovs-vsctl call each way', async () => {
      await sw.ensureBridge('mmb0');
      const taps = Array.from({ length: 50 }, (_, i) => ({
        bridge: 'mmb0',
        name: `mmb_t${i}`,
        vlan: 100 + i,
      }));
      calls = [];
      await sw.createTaps(taps);
      const count = (tool: string) => calls.filter((c) => c[0] === tool).length;
      expect(count('ovs-vsctl')).toBe(1);
      expect(calls.filter((c) => c.includes('-batch')).length).toBe(1);
      const listed = (await host!.netns.exec(['ip', '-o', 'link', 'show'])).split('\n');
      expect(listed.filter((l) => / mmb_t\d+:/.test(l))).toHaveLength(50);
      calls = [];
      await sw.deleteTaps(taps);
      expect(count('ovs-vsctl')).toBe(1);
      expect(await sw.bridge('mmb0')).toMatchObject({ ports: [] });
      await sw.deleteBridge('mmb0');
    });

    realOvs.test('sets the MTU of a tap', async () => {
      await sw.ensureBridge('mmb0');
      await sw.createTaps([{ bridge: 'mmb0', name: 'mmb_mtu', vlan: 5, mtu: 1400 }]);
      expect(await host!.netns.exec(['ip', 'link', 'show', 'mmb_mtu'])).toContain('mtu 1400');
      await sw.deleteTaps([{ bridge: 'mmb0', name: 'mmb_mtu' }]);
      await sw.deleteBridge('mmb0');
    });

    realOvs.test('shows the tbf qdisc with the rate and minimega burst', async () => {
      await sw.ensureBridge('mmb0');
      await sw.createTaps([{ bridge: 'mmb0', name: 'mmb_q', vlan: 5 }]);
      await sw.setQos('mmb_q', { kind: 'rate', rate: 1, unit: 'mbit' });
      const out = await host!.netns.exec(['tc', 'qdisc', 'show', 'dev', 'mmb_q']);
      expect(out).toMatch(/qdisc tbf .*rate 1Mbit burst 1280b lat 20ms/);
      await sw.deleteTaps([{ bridge: 'mmb0', name: 'mmb_q' }]);
      await sw.deleteBridge('mmb0');
    });

    realOvs.test('names the failing command and its stderr', async () => {
      const err = await sw
        .configureBridge('mmb_none', 'stp_enable', 'true')
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ERR_NO_SUCH_BRIDGE' });
      const err2 = await sw
        .ensureBridge('mmb1')
        .then(() => sw.configureBridge('mmb1', 'nosuchcolumn', 'x'))
        .catch((e: unknown) => e);
      expect(err2).toMatchObject({ code: 'ERR_OVS_COMMAND' });
      expect((err2 as { command: string[] }).command[0]).toBe('ovs-vsctl');
      expect((err2 as { stderr: string }).stderr).toContain('nosuchcolumn');
      await sw.deleteBridge('mmb1');
    });
  },
);
