import { randomBytes } from 'node:crypto';
import { access, chmod, copyFile, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { initScript, VIRTIO_MODULES } from './init-script.js';

/** Bump when the image contents change so cached images are rebuilt. */
const IMAGE_VERSION = 2;

export interface GuestImage {
  /** path of the kernel (bzImage) */
  kernel: string;
  /** path of the gzip'd cpio initramfs */
  initrd: string;
  /** the Debian kernel release, e.g. 6.1.0-56-cloud-amd64 */
  release: string;
}

export interface BuildGuestImageOptions {
  signal?: AbortSignal;
  /** where images are cached; default $MM_GUEST_CACHE or ~/.cache/mm-guest */
  cacheDir?: string;
  /** progress messages */
  log?: (msg: string) => void;
}

export class GuestImageError extends Error {
  readonly code = 'ERR_GUEST_IMAGE' as const;
}

export function defaultCacheDir(): string {
  return process.env.MM_GUEST_CACHE || join(homedir(), '.cache', 'mm-guest');
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

/** Finds an already built image in the cache (any kernel release). */
async function cached(dir: string): Promise<GuestImage | undefined> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const e of entries.sort().reverse()) {
    const m = /^v(\d+)-(.+)$/.exec(e);
    if (!m || Number(m[1]) !== IMAGE_VERSION) continue;
    const img = {
      kernel: join(dir, e, 'vmlinuz'),
      initrd: join(dir, e, 'initrd.gz'),
      release: m[2]!,
    };
    if ((await exists(img.kernel)) && (await exists(img.initrd))) return img;
  }
  return undefined;
}

/** The versioned kernel package the cloud meta-package points at in this release. */
async function kernelPackage(signal?: AbortSignal): Promise<string> {
  const { stdout } = await execa('apt-cache', ['depends', 'linux-image-cloud-amd64'], {
    cancelSignal: signal,
  });
  const m = /Depends: (linux-image-\d[^\s]*-cloud-amd64)\b/.exec(stdout);
  if (!m) throw new GuestImageError(`no versioned cloud kernel in: ${stdout.trim()}`);
  return m[1]!;
}

async function download(pkg: string, cwd: string, signal?: AbortSignal): Promise<void> {
  try {
    await execa('apt-get', ['download', pkg], { cwd, cancelSignal: signal });
  } catch {
    // the package lists may be stale or missing (fresh machine): refresh once
    await execa('apt-get', ['update', '-q'], { cancelSignal: signal });
    await execa('apt-get', ['download', pkg], { cwd, cancelSignal: signal });
  }
}

/** Finds a module file (`name.ko`, `.ko.xz`, `.ko.zst`, `.ko.gz`) under the modules tree. */
async function findModule(root: string, name: string): Promise<string | undefined> {
  const { stdout } = await execa('find', [
    root,
    '(',
    '-name',
    `${name}.ko`,
    '-o',
    '-name',
    `${name}.ko.*`,
    ')',
  ]);
  return stdout.split('\n').find((l) => l.trim() !== '');
}

/**
 * Builds (or returns the cached) tiny guest: the Debian cloud kernel and a
 * busybox-static initramfs whose init loads the virtio-net modules, sets up
 * eth0 from `mm.ip=`, and prints MM-GUEST-READY on the console.
 */
export async function buildGuestImage(opts: BuildGuestImageOptions = {}): Promise<GuestImage> {
  const { signal } = opts;
  const log = opts.log ?? (() => {});
  const dir = opts.cacheDir ?? defaultCacheDir();
  const hit = await cached(dir);
  if (hit) return hit;

  await mkdir(dir, { recursive: true });
  const work = join(dir, `.build-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(work);
  try {
    const pkg = await kernelPackage(signal);
    log(`guest-image: downloading ${pkg}`);
    await download(pkg, work, signal);
    const debs = (await readdir(work)).filter((f) => f.endsWith('.deb'));
    if (debs.length !== 1) throw new GuestImageError(`expected one .deb, found ${debs.join(', ')}`);
    const x = join(work, 'x');
    await execa('dpkg', ['-x', join(work, debs[0]!), x], { cancelSignal: signal });
    const releases = await readdir(join(x, 'lib', 'modules'));
    const release = releases[0];
    if (!release) throw new GuestImageError(`${pkg} holds no modules`);

    const root = join(work, 'root');
    const modDir = join(root, 'lib', 'modules');
    await mkdir(join(root, 'bin'), { recursive: true });
    await mkdir(modDir, { recursive: true });
    const busybox = (await exists('/bin/busybox')) ? '/bin/busybox' : '/usr/bin/busybox';
    await copyFile(busybox, join(root, 'bin', 'busybox'));
    await chmod(join(root, 'bin', 'busybox'), 0o755);
    for (const m of VIRTIO_MODULES) {
      const src = await findModule(join(x, 'lib', 'modules', release), m);
      if (!src) continue; // built into this kernel
      const dst = join(modDir, `${m}.ko`);
      // busybox insmod reads plain ELF only: decompress at build time
      if (src.endsWith('.ko')) await copyFile(src, dst);
      else if (src.endsWith('.xz'))
        await execa('sh', ['-c', 'busybox xzcat "$0" > "$1"', src, dst], { cancelSignal: signal });
      else if (src.endsWith('.gz'))
        await execa('sh', ['-c', 'gzip -dc "$0" > "$1"', src, dst], { cancelSignal: signal });
      else if (src.endsWith('.zst'))
        await execa('sh', ['-c', 'zstd -dc "$0" > "$1"', src, dst], { cancelSignal: signal });
      else throw new GuestImageError(`unknown module compression: ${src}`);
    }
    await writeFile(join(root, 'init'), initScript(), { mode: 0o755 });

    const out = join(work, 'out');
    await mkdir(out);
    await copyFile(join(x, 'boot', `vmlinuz-${release}`), join(out, 'vmlinuz'));
    await execa(
      'sh',
      ['-c', 'find . | cpio -o -H newc --quiet -R 0:0 | gzip -1 > "$0"', join(out, 'initrd.gz')],
      { cwd: root, cancelSignal: signal },
    );
    const final = join(dir, `v${IMAGE_VERSION}-${release}`);
    try {
      await rename(out, final);
    } catch (err) {
      // another process built it at the same time: theirs is as good as ours
      if (!(await exists(join(final, 'initrd.gz')))) throw err;
    }
    log(`guest-image: built ${final}`);
    return { kernel: join(final, 'vmlinuz'), initrd: join(final, 'initrd.gz'), release };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
