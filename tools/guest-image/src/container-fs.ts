// The container root filesystem for tests, demos and minitest's `$images`
// (`minicccfs`): busybox-static plus an /init that keeps running and, given
// an address (`mm.ip=` words in its arguments, or MM_IP / MM_GW in its
// environment), configures eth0. Built from the host's busybox-static only:
// no download, ~2 MB. Cached like the guest image, with a `.tar.gz` (one
// top-level directory, as `vm config filesystem tar:` requires) beside it.
import { randomBytes } from 'node:crypto';
import {
  access,
  chmod,
  copyFile,
  mkdir,
  readFile,
  rename,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { defaultCacheDir, GuestImageError } from './build.js';

/** Bump when the rootfs contents change so caches are rebuilt. */
const CONTAINER_FS_VERSION = 1;

/** Printed on the console once /init has configured the container. */
export const CONTAINER_READY_MARKER = 'MM-CONTAINER-READY';

export interface ContainerFs {
  /** the directory to use as `vm config filesystem` */
  dir: string;
  /** `<parent>/minicccfs.tar.gz`: the same tree under one top-level directory */
  tarball: string;
  /** the directory holding both (minitest's `$images`) */
  images: string;
}

/** The container /init (busybox sh): lo and eth0 up, an address, then it sleeps forever. */
export function containerInitScript(): string {
  return `#!/bin/sh
# minimega test container init: configures eth0, then keeps running.
IP="\${MM_IP:-}"; GW="\${MM_GW:-}"; IFACE="\${MM_IFACE:-eth0}"
for w in "$@"; do
  case "$w" in
    mm.ip=*) IP="\${w#mm.ip=}" ;;
    mm.gw=*) GW="\${w#mm.gw=}" ;;
    mm.iface=*) IFACE="\${w#mm.iface=}" ;;
  esac
done
ip link set lo up
if [ -e "/sys/class/net/$IFACE" ]; then
  ip link set "$IFACE" up
  [ -n "$IP" ] && ip addr add "$IP" dev "$IFACE"
  [ -n "$GW" ] && ip route add default via "$GW"
fi
echo "${CONTAINER_READY_MARKER} $(hostname) $IP"
trap 'exit 0' TERM
while :; do sleep 3600 & wait $!; done
`;
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

/** true when `file` is a static 64-bit ELF (no PT_INTERP program header) */
async function isStatic(file: string): Promise<boolean> {
  const b = await readFile(file);
  if (b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2) return false;
  const phoff = Number(b.readBigUInt64LE(0x20));
  const phentsize = b.readUInt16LE(0x36);
  const phnum = b.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    if (b.readUInt32LE(phoff + i * phentsize) === 3) return false; // PT_INTERP
  }
  return true;
}

/** Builds (or reuses) the rootfs under `<cache>/container-v<N>/minicccfs`. */
export async function buildContainerFs(
  opts: { cacheDir?: string; signal?: AbortSignal; log?: (m: string) => void } = {},
): Promise<ContainerFs> {
  const base = join(opts.cacheDir ?? defaultCacheDir(), `container-v${CONTAINER_FS_VERSION}`);
  const result: ContainerFs = {
    dir: join(base, 'minicccfs'),
    tarball: join(base, 'minicccfs.tar.gz'),
    images: base,
  };
  if ((await exists(join(result.dir, 'init'))) && (await exists(result.tarball))) return result;
  const busybox = ['/bin/busybox', '/usr/bin/busybox'];
  let bb: string | undefined;
  for (const b of busybox) if (await exists(b)) bb = b;
  if (!bb) throw new GuestImageError('busybox not installed (Debian: busybox-static)');
  if (!(await isStatic(bb))) {
    throw new GuestImageError(`${bb} is not static: install busybox-static, not busybox`);
  }
  await mkdir(base, { recursive: true });
  const work = join(base, `.build-${process.pid}-${randomBytes(4).toString('hex')}`);
  const root = join(work, 'minicccfs');
  try {
    for (const d of [
      'bin',
      'sbin',
      'usr/bin',
      'usr/sbin',
      'etc',
      'proc',
      'sys',
      'dev',
      'tmp',
      'root',
      'var/run',
    ]) {
      await mkdir(join(root, d), { recursive: true });
    }
    await chmod(join(root, 'tmp'), 0o1777);
    await copyFile(bb, join(root, 'bin', 'busybox'));
    await chmod(join(root, 'bin', 'busybox'), 0o755);
    const { stdout } = await execa(bb, ['--list-full'], { cancelSignal: opts.signal });
    for (const applet of stdout.split('\n').filter(Boolean)) {
      if (applet === 'bin/busybox' || applet === 'linuxrc') continue;
      const p = join(root, applet);
      if (await exists(p)) continue;
      await symlink('/bin/busybox', p);
    }
    await writeFile(join(root, 'init'), containerInitScript(), { mode: 0o755 });
    await writeFile(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    await writeFile(join(root, 'etc', 'group'), 'root:x:0:\n');
    await writeFile(join(root, 'etc', 'hostname'), 'minicccfs\n');
    await execa('tar', ['-C', work, '-czf', join(work, 'minicccfs.tar.gz'), 'minicccfs'], {
      cancelSignal: opts.signal,
    });
    try {
      await rename(root, result.dir);
      await rename(join(work, 'minicccfs.tar.gz'), result.tarball);
    } catch (err) {
      // another process built it at the same time: theirs is as good as ours
      if (!(await exists(join(result.dir, 'init')))) throw err;
    }
    opts.log?.(`guest-image: built container rootfs ${result.dir}`);
    return result;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
