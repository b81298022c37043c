// The container root filesystem (busybox-static + an /init that configures
// eth0 and keeps running) for real container tests and benchmarks, built by
// the guest-image dev tool run as a process (a package never imports
// tools/). No vitest import here: benchmarks use it.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { hasBinary } from './binaries.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export interface ContainerFsPaths {
  /** the rootfs directory (`vm config filesystem`) */
  dir: string;
  /** the same tree as a tarball with one top-level directory */
  tarball: string;
  /** the directory holding both (minitest's `$images`) */
  images: string;
}

/** Builds (or reuses the cached) container rootfs through tools/guest-image. */
export async function containerFs(signal?: AbortSignal): Promise<ContainerFsPaths> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'tools/guest-image/src/cli.ts', '--container'],
    { cwd: repoRoot, ...(signal ? { signal } : {}) },
  );
  const dir = /^filesystem (.+)$/m.exec(stdout)?.[1];
  const tarball = /^tarball (.+)$/m.exec(stdout)?.[1];
  const images = /^images (.+)$/m.exec(stdout)?.[1];
  if (!dir || !tarball || !images) throw new Error(`guest-image printed no paths: ${stdout}`);
  return { dir, tarball, images };
}

/** Why real containers cannot run here (undefined when they can). */
export function containersMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (namespaces, mounts, cgroups)';
  for (const b of ['unshare', 'script', 'setpriv', 'chroot', 'mount', 'ip']) {
    if (!hasBinary(b))
      return `${b} not installed (Debian: util-linux, bsdutils, coreutils, iproute2)`;
  }
  if (!hasBinary('busybox')) return 'busybox not installed (Debian: busybox-static)';
  if (
    !existsSync('/sys/fs/cgroup/freezer/tasks') &&
    !existsSync('/sys/fs/cgroup/cgroup.controllers')
  )
    return 'no cgroup freezer (v1) or cgroup2 at /sys/fs/cgroup';
  return undefined;
}
