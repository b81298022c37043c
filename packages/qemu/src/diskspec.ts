// Diskspecs (vm-qemu.md §3): `path[,interface][,cache]`.
import { MalformedDiskspecError } from './errors.js';

export const DISK_INTERFACES = [
  'ahci',
  'ide',
  'scsi',
  'sd',
  'mtd',
  'floppy',
  'pflash',
  'virtio',
] as const;
export const DISK_CACHES = ['none', 'writeback', 'unsafe', 'directsync', 'writethrough'] as const;

export interface DiskConfig {
  path: string;
  /** '' = default (ide) */
  iface: string;
  /** '' = default (unsafe with snapshot, writeback without) */
  cache: string;
  /** the qcow2 overlay once created at launch */
  snapshotPath: string;
}

const isIface = (s: string) => (DISK_INTERFACES as readonly string[]).includes(s);
const isCache = (s: string) => (DISK_CACHES as readonly string[]).includes(s);

/** Parses a diskspec; the path is returned as typed (resolve it with checkPath). */
export function parseDiskspec(spec: string): DiskConfig {
  const f = spec.split(',');
  const d: DiskConfig = { path: f[0] ?? '', iface: '', cache: '', snapshotPath: '' };
  if (f.length === 2) {
    if (isCache(f[1]!)) d.cache = f[1]!;
    else if (isIface(f[1]!)) d.iface = f[1]!;
    else throw new MalformedDiskspecError(`malformed diskspec: \`${spec}\``);
  } else if (f.length === 3) {
    if (!isIface(f[1]!) || !isCache(f[2]!))
      throw new MalformedDiskspecError(`malformed diskspec: \`${spec}\``);
    d.iface = f[1]!;
    d.cache = f[2]!;
  } else if (f.length !== 1) {
    throw new MalformedDiskspecError(`malformed diskspec: \`${spec}\``);
  }
  return d;
}

export function printDiskspec(d: DiskConfig): string {
  return [d.path, d.iface, d.cache].filter((s) => s !== '').join(',');
}
