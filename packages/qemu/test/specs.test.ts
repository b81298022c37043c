import { describe, expect, test } from 'vitest';
import {
  isMac,
  MalformedNetspecError,
  parseDiskspec,
  parseNetspec,
  printDiskspec,
  printNetspec,
} from '../src/index.js';

const drivers = ['e1000', 'virtio-net-pci', 'rtl8139'];
const p = (s: string) => parseNetspec(s, { drivers });
const canon = (s: string) => printNetspec(p(s));

describe('netspec', () => {
  test('shapes resolve as the rule table says', () => {
    expect(p('100')).toMatchObject({
      bridge: 'mega_bridge',
      alias: '100',
      driver: 'e1000',
      mac: '',
      qinq: false,
    });
    expect(p('100,qinq')).toMatchObject({ alias: '100', qinq: true });
    expect(p('100,13:37:13:37:00:00')).toMatchObject({ alias: '100', mac: '13:37:13:37:00:00' });
    expect(p('100,virtio-net-pci')).toMatchObject({ alias: '100', driver: 'virtio-net-pci' });
    expect(p('br,100')).toMatchObject({ bridge: 'br', alias: '100' });
    expect(p('100,AA:BB:CC:DD:EE:FF,qinq')).toMatchObject({ mac: 'aa:bb:cc:dd:ee:ff', qinq: true });
    expect(p('br,100,qinq')).toMatchObject({ bridge: 'br', alias: '100', qinq: true });
    expect(p('br,100,aa:bb:cc:dd:ee:ff')).toMatchObject({ bridge: 'br', mac: 'aa:bb:cc:dd:ee:ff' });
    expect(p('100,aa:bb:cc:dd:ee:ff,rtl8139')).toMatchObject({ alias: '100', driver: 'rtl8139' });
    expect(p('br,100,rtl8139')).toMatchObject({ bridge: 'br', driver: 'rtl8139' });
    expect(p('100,aa:bb:cc:dd:ee:ff,rtl8139,qinq')).toMatchObject({ alias: '100', qinq: true });
    expect(p('br,100,aa:bb:cc:dd:ee:ff,qinq')).toMatchObject({ bridge: 'br', qinq: true });
    expect(p('br,100,rtl8139,qinq')).toMatchObject({ bridge: 'br', driver: 'rtl8139', qinq: true });
    expect(p('br,100,aa:bb:cc:dd:ee:ff,rtl8139')).toMatchObject({
      bridge: 'br',
      driver: 'rtl8139',
    });
    expect(p('br,100,aa:bb:cc:dd:ee:ff,rtl8139,QinQ')).toMatchObject({ bridge: 'br', qinq: true });
    expect(p('foo').raw).toBe('foo');
  });

  test('malformed specs fail', () => {
    for (const s of ['a,b,c', 'a,b,c,d', 'a,b,c,d,e', 'a,b,c,d,e,f']) {
      expect(() => p(s), s).toThrow(MalformedNetspecError);
    }
    expect(() => p('')).toThrow('VLAN must be non-empty string');
  });

  test('canonical print form (vm_config_net.want)', () => {
    expect(canon('100')).toBe('100');
    expect(canon('100,13:37:13:37:00:00')).toBe('100,13:37:13:37:00:00');
    expect(canon('test_bridge,100')).toBe('test_bridge,100');
    expect(canon('100,e1000')).toBe('100');
    expect(canon('test_bridge,100,13:37:13:37:00:02,e1000')).toBe(
      'test_bridge,100,13:37:13:37:00:02',
    );
    expect(canon('mega_bridge,100,rtl8139,qinq')).toBe('100,rtl8139,qinq');
    expect(printNetspec(p('A'), 'A (102)')).toBe('A (102)');
  });

  test('without a driver list, `100,e1000` is bridge,vlan (sharp edge 2)', () => {
    expect(parseNetspec('100,e1000', { drivers: [] })).toMatchObject({
      bridge: '100',
      alias: 'e1000',
    });
  });

  test('MAC forms Go accepts', () => {
    expect(isMac('00:11:22:33:44:55')).toBe(true);
    expect(isMac('00-11-22-33-44-55')).toBe(true);
    expect(isMac('0011.2233.4455')).toBe(true);
    expect(isMac('00:11:22:33:44')).toBe(false);
    expect(isMac('e1000')).toBe(false);
  });
});

describe('diskspec', () => {
  test('path, path,cache, path,iface, path,iface,cache', () => {
    expect(parseDiskspec('a')).toMatchObject({ path: 'a', iface: '', cache: '' });
    expect(parseDiskspec('a,none')).toMatchObject({ cache: 'none' });
    expect(parseDiskspec('a,virtio')).toMatchObject({ iface: 'virtio' });
    expect(parseDiskspec('a,ahci,writeback')).toMatchObject({ iface: 'ahci', cache: 'writeback' });
    expect(printDiskspec(parseDiskspec('a,ahci,writeback'))).toBe('a,ahci,writeback');
  });
  test('anything else is malformed', () => {
    for (const s of ['a,bogus', 'a,none,virtio', 'a,virtio,bogus', 'a,b,c,d']) {
      // the message names the spec, so one bad disk among several is easy to find
      expect(() => parseDiskspec(s), s).toThrow(`malformed diskspec: \`${s}\``);
    }
  });
});
