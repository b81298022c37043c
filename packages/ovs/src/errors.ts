// One error class per condition, each with a literal `code` so callers match
// on the code, never on message text.

export abstract class OvsError extends Error {
  abstract readonly code: string;
  override name = 'OvsError';
}

/** A child process (`ovs-vsctl`, `ovs-ofctl`, `ip`, `tc`) failed. */
export class OvsCommandError extends OvsError {
  readonly code = 'ERR_OVS_COMMAND' as const;
  override name = 'OvsCommandError';
  constructor(
    /** the argv that failed */
    readonly command: readonly string[],
    /** its stderr (stdout when stderr was empty) */
    readonly stderr: string,
    readonly exitCode: number | undefined,
  ) {
    super(`${command[0]} failed: [${command.slice(1).join(' ')}] ${stderr.trim()}`);
  }
}

/** `ovs-vsctl` could not reach ovsdb-server/ovs-vswitchd. */
export class OvsNotRunningError extends OvsError {
  readonly code = 'ERR_OVS_NOT_RUNNING' as const;
  override name = 'OvsNotRunningError';
  constructor(override readonly cause: OvsCommandError) {
    super(`openvswitch does not appear to be running: ${cause.stderr.trim()}`);
  }
}

/** A port or interface with that name is already on a bridge. */
export class PortExistsError extends OvsError {
  readonly code = 'ERR_PORT_EXISTS' as const;
  override name = 'PortExistsError';
  constructor(
    readonly port: string,
    readonly bridge?: string,
  ) {
    super(`port already exists: ${port}${bridge ? ` on ${bridge}` : ''}`);
  }
}

/** No port with that name on the bridge. */
export class NoSuchPortError extends OvsError {
  readonly code = 'ERR_NO_SUCH_PORT' as const;
  override name = 'NoSuchPortError';
  constructor(
    readonly port: string,
    readonly bridge?: string,
  ) {
    super(`no port named ${port}${bridge ? ` on ${bridge}` : ''}`);
  }
}

/** No bridge with that name. */
export class NoSuchBridgeError extends OvsError {
  readonly code = 'ERR_NO_SUCH_BRIDGE' as const;
  override name = 'NoSuchBridgeError';
  constructor(readonly bridge: string) {
    super(`no bridge named ${bridge}`);
  }
}

/** A network device (tap) with that name already exists on the host. */
export class LinkExistsError extends OvsError {
  readonly code = 'ERR_LINK_EXISTS' as const;
  override name = 'LinkExistsError';
  constructor(readonly link: string) {
    super(`network device already exists: ${link}`);
  }
}

/** No network device with that name. */
export class NoSuchLinkError extends OvsError {
  readonly code = 'ERR_NO_SUCH_LINK' as const;
  override name = 'NoSuchLinkError';
  constructor(readonly link: string) {
    super(`no network device named ${link}`);
  }
}

/** No mirror with that name. */
export class NoSuchMirrorError extends OvsError {
  readonly code = 'ERR_NO_SUCH_MIRROR' as const;
  override name = 'NoSuchMirrorError';
  constructor(readonly mirror: string) {
    super(`no mirror named ${mirror}`);
  }
}

/** The kernel lacks a feature (e.g. the netem qdisc for loss/delay). */
export class KernelFeatureMissingError extends OvsError {
  readonly code = 'ERR_KERNEL_FEATURE_MISSING' as const;
  override name = 'KernelFeatureMissingError';
  constructor(
    /** the missing feature, e.g. `netem` */
    readonly feature: string,
    readonly detail: string,
  ) {
    super(
      `kernel feature missing: ${feature} (the ${feature} qdisc is not available; load sch_${feature} or use a kernel with CONFIG_NET_SCH_${feature.toUpperCase()})${detail ? `: ${detail.trim()}` : ''}`,
    );
  }
}

/** A request was malformed (bad name, VLAN, rate...). */
export class InvalidArgumentError extends OvsError {
  readonly code = 'ERR_INVALID_ARGUMENT' as const;
  override name = 'InvalidArgumentError';
}

/** A private OVS instance failed to start. */
export class OvsStartError extends OvsError {
  readonly code = 'ERR_OVS_START' as const;
  override name = 'OvsStartError';
}

/** A packet capture could not start (tcpdump refused the interface, filter or file). */
export class CaptureStartError extends OvsError {
  readonly code = 'ERR_CAPTURE_START' as const;
  override name = 'CaptureStartError';
  constructor(
    readonly iface: string,
    readonly reason: string,
  ) {
    super(`capture on ${iface} failed: ${reason}`);
  }
}
