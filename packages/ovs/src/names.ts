// Validation of names that end up as Linux interface names or OVS rows.
import { isIP } from 'node:net';
import { InvalidArgumentError } from './errors.js';

/** Linux IFNAMSIZ - 1. */
export const MAX_IFNAME = 15;
// the shared rule (@mm/cli-grammar nameProblem 'tap'/'bridge'; this leaf keeps a copy,
// held to it by apps/minimega/test/names.test.ts): Linux refuses ':' and '/' in names
const IFNAME = /^[A-Za-z0-9_.-]+$/;

export function checkIfName(what: string, name: string): void {
  if (!IFNAME.test(name) || name === '.' || name === '..') {
    throw new InvalidArgumentError(`invalid ${what} name: ${JSON.stringify(name)}`);
  }
  if (Buffer.byteLength(name) > MAX_IFNAME) {
    throw new InvalidArgumentError(`${what} name too long (max ${MAX_IFNAME}): ${name}`);
  }
}

export function checkVlan(vlan: number): void {
  if (!Number.isInteger(vlan) || vlan < 0 || vlan >= 4096) {
    throw new InvalidArgumentError(`invalid VLAN: ${vlan} (0 <= vlan < 4096)`);
  }
}

/** A tunnel's remote IP and key (`options:key`: a number or `flow`). */
export function checkTunnel(remoteIp: string, key?: string | number): void {
  if (isIP(remoteIp) === 0)
    throw new InvalidArgumentError(`invalid remote IP: ${JSON.stringify(remoteIp)}`);
  if (key !== undefined && key !== '' && !/^(\d+|flow)$/.test(String(key))) {
    throw new InvalidArgumentError(
      `invalid tunnel key: ${JSON.stringify(String(key))} (a number or flow)`,
    );
  }
}

/** An option key/value for `options:k=v` (no spaces, quotes or `=` in the key). */
export function checkOption(k: string, v: string): void {
  if (!/^[A-Za-z0-9_:-]+$/.test(k) || /[\s"]/.test(v)) {
    throw new InvalidArgumentError(`invalid tunnel option: ${JSON.stringify(`${k}=${v}`)}`);
  }
}
