// One error class per condition, each with a literal `code`; callers match
// on `code`, never on message text. Errors about one host carry `host`.

export abstract class MeshError extends Error {
  abstract readonly code: string;
  override name = 'MeshError';
}

/** A per-host failure (a row of `send`/`broadcast`); `host` names the target. */
export abstract class HostError extends MeshError {
  constructor(
    readonly host: string,
    message: string,
  ) {
    super(message);
  }
}

export class UnknownHostError extends HostError {
  readonly code = 'ERR_MESH_UNKNOWN_HOST' as const;
  constructor(host: string) {
    super(host, `unknown host ${host}: not in the mesh`);
  }
}

export class SelfSendError extends HostError {
  readonly code = 'ERR_MESH_SELF' as const;
  constructor(host: string) {
    super(host, 'cannot mesh send yourself');
  }
}

export class HostDownError extends HostError {
  readonly code = 'ERR_MESH_HOST_DOWN' as const;
  constructor(host: string, why = 'left the mesh') {
    super(host, `host ${host} ${why}`);
  }
}

export class RouteLostError extends HostError {
  readonly code = 'ERR_MESH_ROUTE_LOST' as const;
  constructor(host: string, via: string) {
    super(host, `lost the link to ${via} while a request to ${host} was in flight`);
  }
}

export class UnreachableError extends HostError {
  readonly code = 'ERR_MESH_UNREACHABLE' as const;
  constructor(host: string, at: string) {
    super(host, `no route to ${host} from ${at}`);
  }
}

export class MeshTimeoutError extends HostError {
  readonly code = 'ERR_MESH_TIMEOUT' as const;
  constructor(host: string) {
    super(host, 'timed out');
  }
}

export class MeshAbortedError extends HostError {
  readonly code = 'ERR_MESH_ABORTED' as const;
  constructor(host: string) {
    super(host, 'aborted');
  }
}

export class NoHandlerError extends HostError {
  readonly code = 'ERR_MESH_NO_HANDLER' as const;
  constructor(host: string, kind: string) {
    super(host, `${host} has no handler for message kind ${kind}`);
  }
}

export class BadBodyError extends HostError {
  readonly code = 'ERR_MESH_BAD_BODY' as const;
  constructor(host: string, detail: string) {
    super(host, `invalid message body: ${detail}`);
  }
}

/** The remote handler threw; `message` is its error text. */
export class RemoteHandlerError extends HostError {
  readonly code = 'ERR_MESH_REMOTE' as const;
}

export class MeshClosedError extends MeshError {
  readonly code = 'ERR_MESH_CLOSED' as const;
  constructor() {
    super('mesh is closed');
  }
}

export class DialError extends MeshError {
  readonly code = 'ERR_MESH_DIAL' as const;
  constructor(
    readonly address: string,
    detail: string,
  ) {
    super(`dial ${address}: ${detail}`);
  }
}

export class DialSelfError extends MeshError {
  readonly code = 'ERR_MESH_DIAL_SELF' as const;
  constructor() {
    super('cannot mesh dial yourself');
  }
}

export class AlreadyConnectedError extends MeshError {
  readonly code = 'ERR_MESH_ALREADY_CONNECTED' as const;
  constructor(readonly peer: string) {
    super(`already connected to ${peer}`);
  }
}

export class HandshakeError extends MeshError {
  readonly code = 'ERR_MESH_HANDSHAKE' as const;
}

export class AuthError extends MeshError {
  readonly code = 'ERR_MESH_AUTH' as const;
}

export class NoSuchPeerError extends MeshError {
  readonly code = 'ERR_MESH_NO_SUCH_PEER' as const;
  constructor(readonly peer: string) {
    super(`no such client ${peer}`);
  }
}

export class LinkClosedError extends MeshError {
  readonly code = 'ERR_MESH_LINK_CLOSED' as const;
  constructor() {
    super('link is closed');
  }
}

export class FrameError extends MeshError {
  readonly code = 'ERR_MESH_FRAME' as const;
}

export class InvalidOptionError extends MeshError {
  readonly code = 'ERR_MESH_OPTION' as const;
}

/** Rebuild a typed per-host error from a wire `{code, message}`. */
export function hostErrorFromWire(host: string, code: string, message: string): HostError {
  switch (code) {
    case 'ERR_MESH_NO_HANDLER':
      return Object.assign(new NoHandlerError(host, ''), { message });
    case 'ERR_MESH_BAD_BODY':
      return Object.assign(new BadBodyError(host, ''), { message });
    case 'ERR_MESH_UNREACHABLE':
      return Object.assign(new UnreachableError(host, ''), { message });
    default:
      return new RemoteHandlerError(host, message);
  }
}

/** A byte stream ended abnormally: the link closed before both ends finished, or the peer reset it. */
export class StreamResetError extends MeshError {
  readonly code = 'ERR_MESH_STREAM_RESET' as const;
}
