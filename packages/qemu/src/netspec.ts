// Netspecs (vm-qemu.md §2): `[bridge,]vlan[,mac][,driver][,qinq]`. The VLAN
// word stays a string here; resolving aliases to numbers is the networking
// module's job.
import { MalformedNetspecError } from './errors.js';

export const DEFAULT_BRIDGE = 'mega_bridge';
export const DEFAULT_NIC_DRIVER = 'e1000';

export interface NetConfig {
  bridge: string;
  /** the VLAN word as typed (`100`, an alias, `ns//alias`) */
  alias: string;
  /** resolved VLAN number (-1 = disconnected / not yet resolved) */
  vlan: number;
  mac: string;
  driver: string;
  qinq: boolean;
  /** tap name once created at launch */
  tap: string;
  /** the spec text as typed, for `vm config clone` */
  raw: string;
}

/** Go net.ParseMAC (6, 8 or 20 octets; `:`/`-` separated or dotted groups of 4 hex digits). */
export function isMac(s: string): boolean {
  const hex2 = '[0-9a-fA-F]{2}';
  const hex4 = '[0-9a-fA-F]{4}';
  for (const n of [6, 8, 20]) {
    for (const sep of [':', '-']) {
      if (new RegExp(`^${hex2}(${sep === '-' ? '-' : ':'}${hex2}){${n - 1}}$`).test(s)) return true;
    }
    if (new RegExp(`^${hex4}(\\.${hex4}){${n / 2 - 1}}$`).test(s)) return true;
  }
  return false;
}

const isQinq = (s: string) => s.toLowerCase() === 'qinq';

export interface ParseNetspecOptions {
  /** NIC drivers QEMU knows (`-device ?`, "Network devices" section) */
  drivers: readonly string[];
}

/** Parses one netspec into a NetConfig with `vlan` = -1 (unresolved). */
export function parseNetspec(spec: string, opts: ParseNetspecOptions): NetConfig {
  const f = spec.split(',');
  const isDriver = (s: string) => opts.drivers.includes(s);
  let bridge = '';
  let alias = '';
  let mac = '';
  let driver = '';
  let qinq = false;
  const [a = '', b = '', c = '', d = '', e = ''] = f;
  switch (f.length) {
    case 1:
      alias = a;
      break;
    case 2:
      if (isQinq(b)) [alias, qinq] = [a, true];
      else if (isMac(b)) [alias, mac] = [a, b];
      else if (isDriver(b)) [alias, driver] = [a, b];
      else [bridge, alias] = [a, b];
      break;
    case 3:
      if (isMac(b) && isQinq(c)) [alias, mac, qinq] = [a, b, true];
      else if (isDriver(b) && isQinq(c)) [alias, driver, qinq] = [a, b, true];
      else if (isQinq(c)) [bridge, alias, qinq] = [a, b, true];
      else if (isMac(c)) [bridge, alias, mac] = [a, b, c];
      else if (isMac(b) && isDriver(c)) [alias, mac, driver] = [a, b, c];
      else if (isDriver(c)) [bridge, alias, driver] = [a, b, c];
      else throw new MalformedNetspecError('malformed netspec');
      break;
    case 4:
      if (isMac(b) && isDriver(c) && isQinq(d)) [alias, mac, driver, qinq] = [a, b, c, true];
      else if (isMac(c) && isQinq(d)) [bridge, alias, mac, qinq] = [a, b, c, true];
      else if (isDriver(c) && isQinq(d)) [bridge, alias, driver, qinq] = [a, b, c, true];
      else if (isMac(c) && isDriver(d)) [bridge, alias, mac, driver] = [a, b, c, d];
      else throw new MalformedNetspecError('malformed netspec');
      break;
    case 5:
      if (isMac(c) && isDriver(d) && isQinq(e))
        [bridge, alias, mac, driver, qinq] = [a, b, c, d, true];
      else throw new MalformedNetspecError('malformed netspec');
      break;
    default:
      throw new MalformedNetspecError('malformed netspec');
  }
  if (alias === '') throw new MalformedNetspecError('VLAN must be non-empty string');
  return {
    bridge: bridge || DEFAULT_BRIDGE,
    alias,
    vlan: -1,
    mac: mac.toLowerCase(),
    driver: driver || DEFAULT_NIC_DRIVER,
    qinq,
    tap: '',
    raw: spec,
  };
}

/** Canonical print form (§2.2); `vlanWord` overrides how the VLAN prints. */
export function printNetspec(n: NetConfig, vlanWord: string = n.alias): string {
  const parts: string[] = [];
  if (n.bridge !== DEFAULT_BRIDGE && n.bridge !== '') parts.push(n.bridge);
  parts.push(vlanWord);
  if (n.mac) parts.push(n.mac);
  if (n.driver !== DEFAULT_NIC_DRIVER && n.driver !== '') parts.push(n.driver);
  if (n.qinq) parts.push('qinq');
  return parts.join(',');
}
