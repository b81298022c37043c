import { describe, expect, it } from 'vitest';
import { parseAlias, parseVlanRange, VlanTable } from '../src/index.js';

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
  return 'ok';
};

describe('parseAlias', () => {
  it('splits ns//value and defaults to the current namespace', () => {
    expect(parseAlias('bar', 'foo//A')).toEqual({ namespace: 'foo', value: 'A' });
    expect(parseAlias('bar', 'A')).toEqual({ namespace: 'bar', value: 'A' });
    expect(parseAlias('bar', 'a//b//c')).toEqual({ namespace: 'a', value: 'b//c' });
  });
});

describe('VlanTable', () => {
  it('replays the minitest vlans walk-through (ovs-net.md §5.2)', () => {
    const t = new VlanTable();
    expect(t.lookup('minimega', '101')).toEqual({ vlan: 101 });
    expect(t.blacklisted()).toEqual([101]);
    expect(t.lookup('minimega', 'A')).toEqual({
      vlan: 102,
      created: { namespace: 'minimega', value: 'A' },
    });
    expect(t.lookup('minimega', 'B').vlan).toBe(103);
    expect(t.lookup('minimega', 'A')).toEqual({ vlan: 102 });
    t.addAlias('minimega', 'foo', 200);
    expect(code(() => t.addAlias('minimega', 'foo', 201))).toBe('ERR_ALIAS_IN_USE');
    t.addAlias('minimega', 'bar', 300);
    expect(t.aliases('minimega')).toEqual([
      { alias: 'A', vlan: 102 },
      { alias: 'B', vlan: 103 },
      { alias: 'bar', vlan: 300 },
      { alias: 'foo', vlan: 200 },
    ]);
    expect(t.lookup('foo', 'A').vlan).toBe(104);
    expect(t.lookup('bar', 'A').vlan).toBe(105);
    expect(t.lookup('bar', 'minimega//A')).toEqual({ vlan: 102 });
    expect(t.lookup('bar', 'foo//A')).toEqual({ vlan: 104 });
    expect(t.aliases('bar')).toEqual([{ alias: 'A', vlan: 105 }]);
    expect(code(() => t.setRange('foo', 130, 120))).toBe('ERR_VLAN_RANGE_INVALID');
    t.setRange('foo', 120, 130);
    expect(t.lookup('foo', 'B').vlan).toBe(120);
    expect(t.aliases('foo')).toEqual([
      { alias: 'A', vlan: 104 },
      { alias: 'B', vlan: 120 },
    ]);
  });

  it('validates VLAN words', () => {
    const t = new VlanTable();
    expect(code(() => t.lookup('minimega', ''))).toBe('ERR_VLAN_EMPTY');
    expect(code(() => t.lookup('minimega', '4096'))).toBe('ERR_VLAN_INVALID');
    expect(code(() => t.lookup('minimega', '-1'))).toBe('ERR_VLAN_INVALID');
    expect(t.lookup('minimega', '0').vlan).toBe(0);
    expect(t.lookup('minimega', 'x//100').vlan).toBe(100);
  });

  it('runs out of VLANs with a typed error', () => {
    const t = new VlanTable({ defaultRange: { min: 10, max: 12 } });
    expect(t.lookup('minimega', 'a').vlan).toBe(10);
    expect(t.lookup('minimega', 'b').vlan).toBe(11);
    const err = (() => {
      try {
        t.lookup('minimega', 'c');
      } catch (e) {
        return e as Error & { code: string };
      }
    })();
    expect(err?.code).toBe('ERR_OUT_OF_VLANS');
    expect(err?.message).toBe('out of VLANs');
  });

  it('runs out inside a namespace range without touching the default range', () => {
    const t = new VlanTable();
    t.setRange('ns1', 500, 502);
    expect(t.lookup('ns1', 'a').vlan).toBe(500);
    expect(t.lookup('ns1', 'b').vlan).toBe(501);
    expect(code(() => t.lookup('ns1', 'c'))).toBe('ERR_OUT_OF_VLANS');
    expect(t.lookup('ns2', 'c').vlan).toBe(101);
  });

  it('skips other namespaces ranges when allocating from the default range', () => {
    const t = new VlanTable({ defaultRange: { min: 100, max: 110 } });
    t.setRange('ns1', 101, 105);
    expect(t.lookup('minimega', 'a').vlan).toBe(100);
    expect(t.lookup('minimega', 'b').vlan).toBe(105);
  });

  it('rejects overlapping namespace ranges', () => {
    const t = new VlanTable();
    t.setRange('ns1', 200, 300);
    expect(code(() => t.setRange('ns2', 250, 260))).toBe('ERR_VLAN_RANGE_OVERLAP');
    t.setRange('ns1', 200, 310); // a namespace may change its own range
    t.setRange('ns2', 311, 320);
  });

  it('never auto-allocates blacklisted or added VLANs', () => {
    const t = new VlanTable({ defaultRange: { min: 100, max: 105 } });
    t.blacklist(100);
    t.addAlias('minimega', 'x', 101);
    t.lookup('minimega', '102');
    expect(t.lookup('minimega', 'y').vlan).toBe(103);
    expect(code(() => t.addAlias('minimega', 'z', 100))).toBe('ERR_VLAN_IN_USE');
    t.blacklist(101);
    expect(t.get('minimega', 'x')).toBeUndefined();
    expect(t.blacklisted()).toEqual([100, 101, 102]);
  });

  it('prints aliases per namespace', () => {
    const t = new VlanTable();
    const a = t.lookup('minimega', 'LAN').vlan;
    expect(t.print('minimega', a)).toBe('LAN (101)');
    expect(t.print('other', a)).toBe('minimega//LAN (101)');
    expect(t.printAlias('other', a)).toBe('minimega//LAN');
    expect(t.print('minimega', 100)).toBe('100');
    t.lookup('minimega', '7');
    expect(t.print('minimega', 7)).toBe('7');
  });

  it('clears a namespace, a prefix, or everything', () => {
    const t = new VlanTable({ defaultRange: { min: 200, max: 300 } });
    t.lookup('minimega', 'dmz1');
    t.lookup('minimega', 'dmz2');
    t.lookup('minimega', 'lan');
    t.setRange('foo', 10, 20);
    t.lookup('foo', 'A');
    t.clear('minimega', 'dmz');
    expect(t.aliases('minimega').map((a) => a.alias)).toEqual(['lan']);
    t.clear('foo');
    expect(t.aliases('foo')).toEqual([]);
    expect(t.range('foo')).toBeUndefined();
    expect(t.lookup('minimega', 'new').vlan).toBe(200); // next restarts at min
    t.lookup('minimega', '5');
    t.clearAll();
    expect(t.aliases('minimega')).toEqual([]);
    expect(t.blacklisted()).toEqual([]);
    expect(t.range('minimega')).toEqual({ min: 200, max: 300, next: 200 });
  });

  it('frees a deleted namespace', () => {
    const t = new VlanTable();
    t.setRange('gone', 1000, 1010);
    t.lookup('gone', 'A');
    t.deleteNamespace('gone');
    expect(t.aliases('gone')).toEqual([]);
    expect(t.ranges().has('gone')).toBe(false);
    expect(t.lookup('gone', 'A').vlan).toBe(101);
  });

  it('lists every alias for the vlans file', () => {
    const t = new VlanTable();
    t.lookup('b', 'x');
    t.lookup('a', 'y');
    t.lookup('a', '3000');
    expect(t.allAliases()).toEqual([
      { alias: 'b//x', vlan: 101 },
      { alias: 'a//y', vlan: 102 },
    ]);
  });

  it('parses -vlanrange', () => {
    expect(parseVlanRange('101-4096')).toEqual({ min: 101, max: 4096 });
    expect(() => parseVlanRange('5')).toThrow(/MIN-MAX/);
    expect(() => parseVlanRange('10-5')).toThrow();
  });
});
