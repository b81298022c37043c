// The default discovery target: the broadcast address of every IPv4
// interface. (The original sends to 255.255.255.255, which fails with
// "network is unreachable" on a host without a default route.)
import { networkInterfaces } from 'node:os';

function toInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0);
}

function toIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Broadcast address of `address/netmask`, or undefined for a /32 or /31. */
export function broadcastOf(address: string, netmask: string): string | undefined {
  const mask = toInt(netmask);
  if (mask >>> 0 === 0xffffffff || mask >>> 0 === 0xfffffffe) return undefined;
  return toIp((toInt(address) & mask) | (~mask >>> 0));
}

/** Every distinct IPv4 broadcast address of this host's interfaces. */
export function interfaceBroadcastAddresses(): string[] {
  const out = new Set<string>();
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family !== 'IPv4') continue;
      const b = broadcastOf(a.address, a.netmask);
      if (b) out.add(b);
    }
  }
  return [...out].sort();
}
