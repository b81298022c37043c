// Container errors: one class per condition, matched by `code`.
import { QemuError } from '../errors.js';

/** cgroups missing, not writable, or a group that will not go away */
export class CgroupError extends QemuError {
  readonly code = 'ERR_CGROUP' as const;
}
/** freezing or thawing failed (or never completed) */
export class FreezerError extends QemuError {
  readonly code = 'ERR_FREEZER' as const;
}
/** the root filesystem is missing, an overlay or a `tar:` extraction failed */
export class ContainerFilesystemError extends QemuError {
  readonly code = 'ERR_CONTAINER_FS' as const;
}
/** the shim died or timed out before the container was ready */
export class ContainerStartError extends QemuError {
  readonly code = 'ERR_CONTAINER_START' as const;
}
/** a veth could not be made or attached */
export class ContainerNetError extends QemuError {
  readonly code = 'ERR_CONTAINER_NET' as const;
}
/** tasks that did not exit after SIGKILL */
export class ContainerKillError extends QemuError {
  readonly code = 'ERR_CONTAINER_KILL' as const;
}
