// Validation of names that end up as Linux interface names or OVS rows.
import { InvalidArgumentError } from './errors.js';

/** Linux IFNAMSIZ - 1. */
export const MAX_IFNAME = 15;
const IFNAME = /^[A-Za-z0-9_.:-]+$/;

export function checkIfName(what: string, name: string): void {
  if (!IFNAME.test(name) || name === '.' || name === '..') {
    throw new InvalidArgumentError(`invalid ${what} name: ${JSON.stringify(name)}`);
  }
  if (name.length > MAX_IFNAME) {
    throw new InvalidArgumentError(`${what} name too long (max ${MAX_IFNAME}): ${name}`);
  }
}

export function checkVlan(vlan: number): void {
  if (!Number.isInteger(vlan) || vlan < 0 || vlan >= 4096) {
    throw new InvalidArgumentError(`invalid VLAN: ${vlan} (0 <= vlan < 4096)`);
  }
}
