// Builds a tiny bootable guest from Debian packages only: the cloud kernel
// and a busybox-static initramfs. See README.md for the kernel command-line
// knobs.
export {
  type BuildGuestImageOptions,
  buildGuestImage,
  defaultCacheDir,
  type GuestImage,
  GuestImageError,
} from './build.js';
export { GUEST_READY_MARKER, initScript, VIRTIO_MODULES } from './init-script.js';

/** Kernel command line for a guest: serial console plus the mm.* knobs. */
export function guestAppend(opts: { ip?: string; gw?: string; hostname?: string } = {}): string[] {
  const words = ['console=ttyS0', 'quiet', 'panic=-1'];
  if (opts.ip) words.push(`mm.ip=${opts.ip}`);
  if (opts.gw) words.push(`mm.gw=${opts.gw}`);
  if (opts.hostname) words.push(`mm.hostname=${opts.hostname}`);
  return words;
}
export {
  buildContainerFs,
  CONTAINER_READY_MARKER,
  type ContainerFs,
  containerInitScript,
} from './container-fs.js';
