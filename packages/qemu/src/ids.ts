// Random UUIDs and MACs for new VMs (vm-qemu.md §2.2, §6.1).
import { randomBytes, randomUUID } from 'node:crypto';

export function generateUuid(): string {
  return randomUUID();
}

/** A few IEEE-registered OUIs (common NIC vendors); minimega picks from gopacket's table. */
const OUIS = [
  [0x00, 0x1b, 0x21], // Intel
  [0x00, 0x50, 0x56], // VMware
  [0x52, 0x54, 0x00], // QEMU/KVM (locally administered, but what QEMU uses)
  [0x00, 0x16, 0x3e], // Xensource
  [0x00, 0x0c, 0x29], // VMware
  [0x3c, 0xfd, 0xfe], // Intel
  [0x00, 0x1c, 0x42], // Parallels
  [0x08, 0x00, 0x27], // Oracle VirtualBox
] as const;

export function randomMac(): string {
  const r = randomBytes(4);
  const oui = OUIS[r[0]! % OUIS.length]!;
  return [...oui, r[1]!, r[2]!, r[3]!].map((b) => b.toString(16).padStart(2, '0')).join(':');
}
