// qemu-img calls of the `disk` commands; a failure is qemu-img's own words.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { execa } from 'execa';
import { z } from 'zod';

export class DiskError extends Error {
  readonly code = 'ERR_DISK' as const;
}

async function qemuImg(image: string, args: string[], signal?: AbortSignal): Promise<string> {
  const r = await execa('qemu-img', args, {
    reject: false,
    ...(signal ? { cancelSignal: signal } : {}),
  }).catch((e: Error) => ({ exitCode: -1, stdout: '', stderr: e.message }));
  if (r.exitCode !== 0) {
    const why = String(r.stderr).trim() || `qemu-img exit status ${r.exitCode}`;
    throw new DiskError(`[image ${image}] ${why.replace(/^qemu-img: /, '')}`);
  }
  return String(r.stdout);
}

const InfoJson = z.object({
  filename: z.string(),
  format: z.string(),
  'virtual-size': z.number(),
  'actual-size': z.number().optional(),
  'backing-filename': z.string().optional(),
});

export interface DiskInfo {
  name: string;
  format: string;
  virtualSize: number;
  diskSize: number;
  backingFile: string;
  inUse: boolean;
}

/** minimega's humanReadableBytes: 1023 B, 1.0 KiB, 20.0 GiB */
export function humanBytes(b: number): string {
  if (b < 1024) return `${b} B`;
  let div = 1024;
  let exp = 0;
  for (let n = Math.floor(b / 1024); n >= 1024; n = Math.floor(n / 1024)) {
    div *= 1024;
    exp++;
  }
  return `${(b / div).toFixed(1)} ${'KMGTPE'[exp]}iB`;
}

/** Is a lock held on the file (QEMU locks its images)? /proc/locks names dev:inode. */
async function inUse(path: string): Promise<boolean> {
  const st = await stat(path);
  const locks = await readFile('/proc/locks', 'utf8').catch(() => '');
  return locks
    .split('\n')
    .some((l) =>
      l.split(/\s+/).some((f) => /^[0-9a-f]+:[0-9a-f]+:\d+$/.test(f) && f.endsWith(`:${st.ino}`)),
    );
}

export async function diskInfo(
  image: string,
  recursive: boolean,
  signal?: AbortSignal,
): Promise<DiskInfo[]> {
  const out = await qemuImg(
    image,
    ['info', '--output=json', ...(recursive ? ['--backing-chain'] : []), image],
    signal,
  );
  let parsed: unknown;
  try {
    parsed = JSON.parse(out);
  } catch {
    throw new DiskError(`[image ${image}] unreadable qemu-img output`);
  }
  const rows = z.array(InfoJson).safeParse(Array.isArray(parsed) ? parsed : [parsed]);
  if (!rows.success) throw new DiskError(`[image ${image}] unexpected qemu-img output`);
  const busy = await inUse(image).catch(() => false);
  return rows.data.map((j) => ({
    name: j.filename,
    format: j.format,
    virtualSize: j['virtual-size'],
    diskSize: j['actual-size'] ?? 0,
    backingFile: j['backing-filename'] ?? '',
    inUse: busy,
  }));
}

export async function diskCreate(
  format: string,
  image: string,
  size: string,
  signal?: AbortSignal,
): Promise<void> {
  await mkdir(dirname(image), { recursive: true, mode: 0o755 });
  await qemuImg(image, ['create', '-f', format, image, size], signal);
}

/** dst: a qcow2 overlay of src; the backing path is relative to dst unless `absolute` */
export async function diskSnapshot(
  src: string,
  dst: string,
  absolute: boolean,
  signal?: AbortSignal,
): Promise<void> {
  const [info] = await diskInfo(src, false, signal);
  const backing = absolute ? src : relative(dirname(dst), src);
  await mkdir(dirname(dst), { recursive: true, mode: 0o755 });
  await qemuImg(
    src,
    ['create', '-f', 'qcow2', '-b', backing, '-F', info?.format ?? 'raw', dst],
    signal,
  );
}

/** a fresh name for `disk snapshot <image>` without a destination (as Go's os.CreateTemp) */
export async function snapshotName(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const p = join(dir, `snapshot${randomBytes(5).readUInt32BE(0)}`);
  await writeFile(p, '', { flag: 'wx' });
  return p;
}

export async function diskCommit(image: string, signal?: AbortSignal): Promise<void> {
  await qemuImg(image, ['commit', '-d', image], signal);
}

export async function diskResize(image: string, size: string, signal?: AbortSignal): Promise<void> {
  await qemuImg(image, ['resize', '--shrink', image, size], signal);
}

export async function diskRebase(
  image: string,
  backing: string,
  unsafe: boolean,
  absolute: boolean,
  signal?: AbortSignal,
): Promise<void> {
  const args = ['rebase'];
  if (backing) {
    const [b] = await diskInfo(backing, false, signal);
    args.push(
      '-b',
      absolute ? backing : relative(dirname(image), backing),
      '-F',
      b?.format ?? 'raw',
    );
  } else args.push('-b', '');
  if (unsafe) args.push('-u');
  await qemuImg(image, [...args, image], signal);
}
