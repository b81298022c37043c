import { createFakeSwitch } from '@mm/ovs';
import { describe, expect, it } from 'vitest';
import { parseDelay, parseLoss } from '../../src/commands/net/qos-cli.js';
import { netDaemon, qosInfo } from './harness.js';

async function withVm(netem = true) {
  const sw = createFakeSwitch({ netem });
  const d = await netDaemon(sw);
  const taps = [
    await d.net.createTap({ namespace: 'minimega', vm: 'vm0', bridge: '', vlan: 5, mac: '' }),
    await d.net.createTap({ namespace: 'minimega', vm: 'vm0', bridge: '', vlan: 6, mac: '' }),
  ];
  return { sw, d, taps };
}

describe('qos (fake switch)', () => {
  it('follows minimega vm_qos: loss and delay merge, rate replaces them and back', async () => {
    const { sw, d, taps } = await withVm();
    await using _ = d;
    const info = () => qosInfo(d.net, taps);
    const ok = async (line: string) => expect((await d.run(line)).errors).toEqual([]);
    await ok('qos add vm0 0 loss 5');
    expect(info()).toBe('[0: loss 5]');
    await ok('qos add vm0 0 delay 100ms');
    expect(info()).toBe('[0: loss 5 delay 100ms]');
    expect(sw.state.qdiscs.get(taps[0]!)).toEqual({ kind: 'netem', loss: 5, delay: '100ms' });
    await ok('qos add vm0 0 rate 1 mbit');
    expect(info()).toBe('[0: rate 1mbit]');
    await ok('qos add vm0 0 delay 200');
    expect(info()).toBe('[0: delay 200ms]');
    await ok('qos add vm0 1 rate 10 kbit');
    expect(info()).toBe('[0: delay 200ms, 1: rate 10kbit]');
    await ok('clear qos vm0 0');
    expect(info()).toBe('[1: rate 10kbit]');
    await ok('clear qos vm0');
    expect(info()).toBe('[]');
    expect(sw.state.qdiscs.size).toBe(0);
  });

  it('validates like minimega', async () => {
    const { d } = await withVm();
    await using _ = d;
    const err = async (line: string) => (await d.run(line)).errors;
    expect(await err('qos add vm0 x loss 5')).toEqual(['invalid tap index x']);
    expect(await err('qos add vm0 all loss 5')).toEqual(['wildcard qos not implemented']);
    expect(await err('qos add vm0 7 loss 5')).toEqual(['invalid tap index specified: 7']);
    expect(await err('qos add vm0 0 loss 100')).toEqual(['invalid loss: `100`']);
    expect(await err('qos add vm0 0 delay soon')).toEqual(['invalid duration: `soon`']);
    expect(await err('qos add vm0 0 delay -5ms')).toEqual(['delay cannot be negative']);
    expect(await err('qos add vm0 0 rate fast mbit')).toEqual(['invalid rate: `fast`']);
    expect(await err('qos add nope 0 loss 5')).toEqual(['vm not found: nope']);
    expect(await err('qos add all 0 loss 5')).toEqual([]);
  });

  it('names the missing netem and keeps rate working without it', async () => {
    const { d, taps } = await withVm(false);
    await using _ = d;
    const r = await d.run('qos add vm0 0 loss 5');
    expect(r.errors[0]).toContain('netem');
    expect(qosInfo(d.net, taps)).toBe('[]');
    expect((await d.run('qos add vm0 0 rate 1 gbit')).errors).toEqual([]);
    expect(qosInfo(d.net, taps)).toBe('[0: rate 1gbit]');
  });

  it('parses values', () => {
    expect(parseDelay('100')).toBe('100ms');
    expect(parseDelay('1.5s')).toBe('1.5s');
    expect(parseDelay('1m30s')).toBe('1m30s');
    expect(parseLoss('0.5')).toBe(0.5);
    expect(() => parseLoss('')).toThrow('invalid loss');
  });
});
