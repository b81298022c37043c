// The `vm config` model (vm-qemu.md §1): every field of the Base, KVM,
// Container and Android parts, their defaults, and a zod schema for configs
// that cross a boundary (saved files, the mesh).
import { isAbsolute, join, normalize } from 'node:path';
import { z } from 'zod';
import type { DiskConfig } from './diskspec.js';
import type { NetConfig } from './netspec.js';

export interface QemuOverride {
  match: string;
  repl: string;
}

export interface VmConfig {
  // Base
  uuid: string;
  vcpus: number;
  memory: number;
  snapshot: boolean;
  schedule: string;
  colocate: string;
  coschedule: number;
  backchannel: boolean;
  networks: NetConfig[];
  bonds: string[];
  tags: Record<string, string>;
  // KVM
  qemu: string;
  kernel: string;
  initrd: string;
  append: string[];
  cdrom: string;
  state: string;
  disks: DiskConfig[];
  cpu: string;
  sockets: number;
  cores: number;
  threads: number;
  machine: string;
  serialPorts: number;
  virtioPorts: string;
  vga: string;
  usbUseXhci: boolean;
  tpmSocket: string;
  bidirectionalCopyPaste: boolean;
  qemuAppend: string[];
  qemuOverride: QemuOverride[];
  // Container
  filesystem: string;
  hostname: string;
  init: string[];
  preinit: string;
  fifos: number;
  volume: Record<string, string>;
  // Android
  androidSdk: string;
  androidEmulator: string;
  androidAdb: string;
  androidAvd: string;
  androidAvdDir: string;
  androidNoWindow: boolean;
  androidConsoleBasePort: number;
  androidExtraArgs: string[];
  androidWritableSystem: boolean;
}

export const DEFAULT_QEMU = 'kvm';

export function defaultVmConfig(): VmConfig {
  return {
    uuid: '',
    vcpus: 1,
    memory: 2048,
    snapshot: true,
    schedule: '',
    colocate: '',
    coschedule: -1,
    backchannel: true,
    networks: [],
    bonds: [],
    tags: {},
    qemu: DEFAULT_QEMU,
    kernel: '',
    initrd: '',
    append: [],
    cdrom: '',
    state: '',
    disks: [],
    cpu: 'host',
    sockets: 0,
    cores: 0,
    threads: 0,
    machine: '',
    serialPorts: 0,
    virtioPorts: '',
    vga: 'std',
    usbUseXhci: true,
    tpmSocket: '',
    bidirectionalCopyPaste: false,
    qemuAppend: [],
    qemuOverride: [],
    filesystem: '',
    hostname: '',
    init: ['/init'],
    preinit: '',
    fifos: 0,
    volume: {},
    androidSdk: '',
    androidEmulator: '',
    androidAdb: '',
    androidAvd: '',
    androidAvdDir: '',
    androidNoWindow: true,
    androidConsoleBasePort: 0,
    androidExtraArgs: [],
    androidWritableSystem: false,
  };
}

/** A deep copy (launch snapshots the config; later edits must not leak). */
export function cloneVmConfig(c: VmConfig): VmConfig {
  return structuredClone(c);
}

const netSchema = z.object({
  bridge: z.string(),
  alias: z.string(),
  vlan: z.number().int(),
  mac: z.string(),
  driver: z.string(),
  qinq: z.boolean(),
  tap: z.string(),
  raw: z.string(),
});
const diskSchema = z.object({
  path: z.string(),
  iface: z.string(),
  cache: z.string(),
  snapshotPath: z.string(),
});
const uint = z.number().int().nonnegative();

/** Validates a VmConfig that crossed a boundary (JSON file, mesh message). */
export const vmConfigSchema = z.object({
  uuid: z.string(),
  vcpus: uint,
  memory: uint,
  snapshot: z.boolean(),
  schedule: z.string(),
  colocate: z.string(),
  coschedule: z.number().int(),
  backchannel: z.boolean(),
  networks: z.array(netSchema),
  bonds: z.array(z.string()),
  tags: z.record(z.string(), z.string()),
  qemu: z.string(),
  kernel: z.string(),
  initrd: z.string(),
  append: z.array(z.string()),
  cdrom: z.string(),
  state: z.string(),
  disks: z.array(diskSchema),
  cpu: z.string(),
  sockets: uint,
  cores: uint,
  threads: uint,
  machine: z.string(),
  serialPorts: uint,
  virtioPorts: z.string(),
  vga: z.string(),
  usbUseXhci: z.boolean(),
  tpmSocket: z.string(),
  bidirectionalCopyPaste: z.boolean(),
  qemuAppend: z.array(z.string()),
  qemuOverride: z.array(z.object({ match: z.string(), repl: z.string() })),
  filesystem: z.string(),
  hostname: z.string(),
  init: z.array(z.string()),
  preinit: z.string(),
  fifos: uint,
  volume: z.record(z.string(), z.string()),
  androidSdk: z.string(),
  androidEmulator: z.string(),
  androidAdb: z.string(),
  androidAvd: z.string(),
  androidAvdDir: z.string(),
  androidNoWindow: z.boolean(),
  androidConsoleBasePort: uint,
  androidExtraArgs: z.array(z.string()),
  androidWritableSystem: z.boolean(),
}) satisfies z.ZodType<VmConfig>;

/** minimega's checkPath: a relative path is placed under the files dir (vm-qemu.md §1). */
export function checkPath(filesDir: string, value: string): string {
  if (value === '') return value;
  return isAbsolute(value) ? normalize(value) : join(filesDir, value);
}
