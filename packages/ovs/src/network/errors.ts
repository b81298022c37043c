// Errors of a host network's operations, one class per condition with a
// literal `code`; messages follow minimega's wording (ovs-net.md §2–§4),
// since they are what a user reads.

export abstract class NetworkError extends Error {
  abstract readonly code: string;
  override name = 'NetworkError';
}

/** `all` names every tap/bridge in commands, so nothing may be called that. */
export class ReservedNameError extends NetworkError {
  readonly code = 'ERR_NET_RESERVED_NAME' as const;
  constructor(readonly what: 'bridge' | 'tap') {
    super(`\`all\` is a reserved word -- cannot use for ${what} name`);
  }
}

export class TapExistsError extends NetworkError {
  readonly code = 'ERR_NET_TAP_EXISTS' as const;
  constructor(readonly tap: string) {
    super('tap already on bridge');
  }
}

export class UnknownTapError extends NetworkError {
  readonly code = 'ERR_NET_UNKNOWN_TAP' as const;
  constructor(readonly tap: string) {
    super('unknown tap');
  }
}

/** The tap is a VM's, or a host tap of another namespace. */
export class NotHostTapError extends NetworkError {
  readonly code = 'ERR_NET_NOT_HOST_TAP' as const;
  constructor(
    readonly tap: string,
    readonly otherNamespace = false,
  ) {
    super(otherNamespace ? 'not a host tap in active namespace' : 'not a host tap');
  }
}

/** `ip addr add` or `dhcp` on a new host tap failed (the tap was removed again). */
export class HostTapSetupError extends NetworkError {
  readonly code = 'ERR_NET_HOST_TAP_SETUP' as const;
  constructor(
    readonly step: 'ip' | 'dhcp',
    detail: string,
  ) {
    super(`${step} error ${detail}`);
  }
}

export type MirrorProblem =
  | 'cannot mirror tap to itself'
  | 'source tap is not on bridge'
  | 'destination tap is not on bridge'
  | 'destination tap is already a mirror';

export class BadMirrorError extends NetworkError {
  readonly code = 'ERR_NET_BAD_MIRROR' as const;
  constructor(readonly problem: MirrorProblem) {
    super(problem);
  }
}

export class UnknownMirrorError extends NetworkError {
  readonly code = 'ERR_NET_UNKNOWN_MIRROR' as const;
  constructor(readonly dst: string) {
    super('not a valid mirror');
  }
}

export class TrunkExistsError extends NetworkError {
  readonly code = 'ERR_NET_TRUNK_EXISTS' as const;
  constructor(readonly iface: string) {
    super(`bridge already trunking to ${iface}`);
  }
}

export class UnknownPortError extends NetworkError {
  readonly code = 'ERR_NET_UNKNOWN_PORT' as const;
  constructor(
    readonly kind: 'trunk' | 'tunnel',
    readonly port: string,
  ) {
    super(`unknown ${kind}: ${port}`);
  }
}

export class TunnelError extends NetworkError {
  readonly code = 'ERR_NET_TUNNEL' as const;
  constructor(override readonly cause: Error) {
    super(`add tunnel failed: ${cause.message}`);
  }
}

/** A VM operation needs a capability the network was not given (e.g. veths without `veth`). */
export class NetworkCapabilityError extends NetworkError {
  readonly code = 'ERR_NET_CAPABILITY' as const;
}
