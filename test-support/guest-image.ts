// The tiny guest image (kernel + initramfs) for real-QEMU tests and
// benchmarks. It comes from the guest-image dev tool run as a process (a
// package never imports tools/). No vitest import here: benchmarks use it.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export interface GuestImagePaths {
  kernel: string;
  initrd: string;
}

/** Builds (or reuses the cached) guest image through tools/guest-image and returns its paths. */
export async function guestImage(signal?: AbortSignal): Promise<GuestImagePaths> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'tools/guest-image/src/cli.ts'],
    { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024, ...(signal ? { signal } : {}) },
  );
  const kernel = /^kernel (.+)$/m.exec(stdout)?.[1];
  const initrd = /^initrd (.+)$/m.exec(stdout)?.[1];
  if (!kernel || !initrd) throw new Error(`guest-image printed no paths: ${stdout}`);
  return { kernel, initrd };
}
