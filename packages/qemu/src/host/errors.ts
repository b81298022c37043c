// Errors of the VmHost seam. Each carries a literal `code` so a remote
// host's error can be re-made on the caller's side and matched by code.
import { QemuError } from '../errors.js';

/** A single target that names no VM on this host (namespace.md §5.2 hides these in fan-out). */
export class VmNotFoundError extends QemuError {
  readonly code = 'ERR_VM_NOT_FOUND' as const;
  constructor(readonly target: string) {
    super(`vm not found: ${target}`);
  }
}

/** Errors of several VMs of one target operation, joined with newlines. */
export class VmTargetError extends QemuError {
  readonly code = 'ERR_VM_TARGET' as const;
  constructor(readonly errors: string[]) {
    super(errors.join('\n'));
  }
}

/** A launch refused before anything started (names, UUIDs, disks, limits). */
export class VmLaunchError extends QemuError {
  readonly code = 'ERR_VM_LAUNCH' as const;
}

/** The host cannot run this VM type (no driver plugged in). */
export class VmTypeError extends QemuError {
  readonly code = 'ERR_VM_TYPE' as const;
}
