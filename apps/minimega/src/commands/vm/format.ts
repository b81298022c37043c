// Cell formats of `vm info` (vm-qemu.md §7.1).
import { containerInfoCells, goList, printDiskspec, type VmRecord } from '@mm/qemu';
import type { Daemon } from '../../context.js';

export const INFO_COLUMNS = [
  'id',
  'name',
  'state',
  'uptime',
  'type',
  'uuid',
  'cc_active',
  'pid',
  'vlan',
  'bridge',
  'tap',
  'mac',
  'ip',
  'ip6',
  'qos',
  'qinq',
  'bond',
  'memory',
  'vcpus',
  'disks',
  'snapshot',
  'initrd',
  'kernel',
  'cdrom',
  'save',
  'append',
  'serial-ports',
  'virtio-ports',
  'vnc_port',
  'usb-use-xhci',
  'tpm-socket',
  'bidirectional-copy-paste',
  'android_avd',
  'android_console_port',
  'android_adb_port',
  'android_serial',
  'filesystem',
  'hostname',
  'init',
  'preinit',
  'fifo',
  'volume',
  'console_port',
  'tags',
] as const;

export const SUMMARY_COLUMNS = [
  'id',
  'name',
  'state',
  'type',
  'uuid',
  'cc_active',
  'vlan',
] as const;

/** Go's time.Duration String() for a span in milliseconds. */
export function goDuration(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return `${trim(ms.toFixed(3))}ms`;
  let s = ms / 1000;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const secs = `${trim(s.toFixed(3))}s`;
  if (h > 0) return `${h}h${m}m${secs}`;
  if (m > 0) return `${m}m${secs}`;
  return secs;
}

function trim(n: string): string {
  return n.includes('.') ? n.replace(/0+$/, '').replace(/\.$/, '') : n;
}

function sortedJson(o: Record<string, string>): string {
  return JSON.stringify(
    Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  );
}

const bracket = (xs: string[]) => `[${xs.join(', ')}]`;

/** The qos column: each tap's qos as the VM's host reported it in the record, by NIC index. */
function qosCell(vm: VmRecord): string {
  const parts: string[] = [];
  vm.taps.forEach((t, i) => {
    if (t.qos) parts.push(`${i}: ${t.qos}`);
  });
  return bracket(parts);
}

export function printVlan(d: Daemon, ns: string, vlan: number): string {
  if (vlan < 0) return 'disconnected';
  return d.services.networking?.printVlan(ns, vlan) ?? String(vlan);
}

export function infoRow(
  d: Daemon,
  vm: VmRecord,
  now: number,
): Record<(typeof INFO_COLUMNS)[number], string> {
  const c = vm.config;
  const na = 'N/A';
  return {
    id: String(vm.id),
    name: vm.name,
    state: vm.state,
    uptime: goDuration(now - vm.launchTime),
    type: vm.type,
    uuid: c.uuid,
    cc_active: String(vm.ccActive),
    pid: String(vm.pid),
    vlan: bracket(c.networks.map((n) => printVlan(d, vm.namespace, n.vlan))),
    bridge: bracket(c.networks.map((n) => n.bridge)),
    tap: bracket(c.networks.map((n) => n.tap)),
    mac: bracket(c.networks.map((n) => n.mac)),
    // addresses are learned by snooping on the bridge (networking); none known here
    ip: bracket(c.networks.map(() => '')),
    ip6: bracket(c.networks.map(() => '')),
    qos: qosCell(vm),
    qinq: bracket(c.networks.filter((n) => n.qinq).map((n) => `${n.tap} (${n.vlan})`)),
    bond: '[]',
    memory: String(c.memory),
    vcpus: String(c.vcpus),
    disks: c.disks.map(printDiskspec).join(' '),
    snapshot: String(c.snapshot),
    initrd: c.initrd,
    kernel: c.kernel,
    cdrom: c.cdrom,
    save: na,
    append: goList(c.append),
    'serial-ports': String(c.serialPorts),
    'virtio-ports': c.virtioPorts,
    vnc_port: String(vm.vncPort),
    'usb-use-xhci': String(c.usbUseXhci),
    'tpm-socket': c.tpmSocket,
    'bidirectional-copy-paste': String(c.bidirectionalCopyPaste),
    android_avd: na,
    android_console_port: na,
    android_adb_port: na,
    android_serial: na,
    ...containerInfoCells(vm),
    tags: sortedJson(c.tags),
    // containers show N/A in the KVM-only columns (containers.md §6)
    ...(vm.type === 'container' ? KVM_ONLY_NA : {}),
  };
}

const KVM_ONLY_NA = Object.fromEntries(
  [
    'disks',
    'initrd',
    'kernel',
    'cdrom',
    'save',
    'append',
    'serial-ports',
    'virtio-ports',
    'vnc_port',
    'usb-use-xhci',
    'tpm-socket',
    'bidirectional-copy-paste',
  ].map((k) => [k, 'N/A']),
);
