// `vm config` with no arguments (vm-qemu.md §1.2): four label/value blocks,
// each aligned like Go's tabwriter (minwidth 5, padding 1, spaces).
import type { VmConfig } from './config.js';
import { printDisks } from './fields.js';
import { goList } from './gostrconv.js';

/** Aligns `label\tvalue` lines: a label column as wide as the longest label + 1 (min 5). */
export function alignBlock(lines: readonly string[]): string {
  const cells = lines.map((l) => {
    const i = l.indexOf('\t');
    return i < 0 ? [l] : [l.slice(0, i), l.slice(i + 1)];
  });
  const width = Math.max(5, ...cells.filter((c) => c.length > 1).map((c) => c[0]!.length + 1));
  return cells.map((c) => (c.length > 1 ? c[0]!.padEnd(width) + c[1] : c[0]!)).join('\n');
}

function sortedJson(o: Record<string, string>): string {
  return JSON.stringify(
    Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  );
}

/** `printNet` renders one NIC (canonical netspec with its VLAN alias). */
export function dumpVmConfig(
  c: VmConfig,
  printNet: (n: VmConfig['networks'][number]) => string,
): string {
  const base = [
    'VM configuration:',
    `Memory:\t${c.memory}`,
    `VCPUs:\t${c.vcpus}`,
    `Networks:\t${goList(c.networks.map(printNet))}`,
    `Bonds:\t${goList(c.bonds)}`,
    `Snapshot:\t${c.snapshot}`,
    `UUID:\t${c.uuid}`,
    `Schedule host:\t${c.schedule}`,
    `Coschedule limit:\t${c.coschedule}`,
    `Colocate:\t${c.colocate}`,
    `Backchannel:\t${c.backchannel}`,
    `Tags:\t${sortedJson(c.tags)}`,
  ];
  const kvm = [
    'KVM configuration:',
    `State Path:\t${c.state}`,
    `Disks:\t${printDisks(c.disks)}`,
    `CDROM Path:\t${c.cdrom}`,
    `Kernel Path:\t${c.kernel}`,
    `Initrd Path:\t${c.initrd}`,
    `Kernel Append:\t${goList(c.append)}`,
    `QEMU Path:\t${c.qemu}`,
    `QEMU Append:\t${goList(c.qemuAppend)}`,
    `Serial Ports:\t${c.serialPorts}`,
    `Virtio-Serial Ports:\t${c.virtioPorts}`,
    `Machine:\t${c.machine}`,
    `CPU:\t${c.cpu}`,
    `Cores:\t${c.cores}`,
    `Threads:\t${c.threads}`,
    `Sockets:\t${c.sockets}`,
    `VGA:\t${c.vga}`,
    `Usb Use XHCI:\t${c.usbUseXhci}`,
    `Bidirectional Copy Paste:\t${c.bidirectionalCopyPaste}`,
    `TPM Socket: \t${c.tpmSocket}`,
  ];
  const container = [
    'Container configuration:',
    `Filesystem Path:\t${c.filesystem}`,
    `Hostname:\t${c.hostname}`,
    `Init:\t${goList(c.init)}`,
    `Pre-init:\t${c.preinit}`,
    `FIFOs:\t${c.fifos}`,
    'Volumes:\t',
    ...Object.entries(c.volume).map(([k, v]) => `\t${k} -> ${v}`),
  ];
  const android = [
    'Android configuration:',
    `SDK Path:\t${c.androidSdk}`,
    `Emulator Path:\t${c.androidEmulator}`,
    `ADB Path:\t${c.androidAdb}`,
    `AVD Name:\t${c.androidAvd}`,
    `AVD Dir:\t${c.androidAvdDir}`,
    `No Window:\t${c.androidNoWindow}`,
    `Console Base Port:\t${c.androidConsoleBasePort}`,
    `Extra Args:\t${goList(c.androidExtraArgs)}`,
    `Writable System:\t${c.androidWritableSystem}`,
  ];
  return [base, kvm, container, android].map((b) => `${alignBlock(b)}\n\n`).join('');
}
