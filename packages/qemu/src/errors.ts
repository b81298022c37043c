/** Base of every @mm/qemu error; match on `code`, never on the message. */
export abstract class QemuError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A `vm config` value that does not parse (message as minimega's, e.g. Go's strconv text). */
export class ConfigValueError extends QemuError {
  readonly code = 'ERR_CONFIG_VALUE' as const;
}
export class MalformedNetspecError extends QemuError {
  readonly code = 'ERR_NETSPEC' as const;
}
export class MalformedDiskspecError extends QemuError {
  readonly code = 'ERR_DISKSPEC' as const;
}
/** A QMP reply or greeting that does not arrive in time. */
export class QmpTimeoutError extends QemuError {
  readonly code = 'ERR_QMP_TIMEOUT' as const;
}
/** The QMP connection closed (or was never open). */
export class QmpClosedError extends QemuError {
  readonly code = 'ERR_QMP_CLOSED' as const;
}
/** The peer sent something that is not QMP (bad JSON, wrong shape). */
export class QmpProtocolError extends QemuError {
  readonly code = 'ERR_QMP_PROTOCOL' as const;
}
/** QEMU answered a command with `{"error": {class, desc}}`. */
export class QmpCommandError extends QemuError {
  readonly code = 'ERR_QMP_COMMAND' as const;
  constructor(
    readonly errorClass: string,
    readonly desc: string,
  ) {
    super(`${errorClass}: ${desc}`);
  }
}
/** QEMU could not be started or died before QMP came up. */
export class QemuStartError extends QemuError {
  readonly code = 'ERR_QEMU_START' as const;
}
/** An operation that the VM's current state does not allow. */
export class VmStateError extends QemuError {
  readonly code = 'ERR_VM_STATE' as const;
}
/** A VM command that cannot be done as asked (bad JSON for `vm qmp`, unknown hotplug id...). */
export class VmCommandError extends QemuError {
  readonly code = 'ERR_VM_COMMAND' as const;
}
