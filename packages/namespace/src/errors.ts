/** Base of every namespace error; match on `code`. */
export class NamespaceError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidNamespaceNameError extends NamespaceError {
  declare readonly code: 'ERR_NS_INVALID_NAME';
  constructor(
    readonly namespace: string,
    readonly why = 'must only include letters, numbers, hyphens, underscores and dots',
  ) {
    // minimega's words for the character rule; the other rules (`.`, `..`, length) say theirs
    super(
      'ERR_NS_INVALID_NAME',
      why.startsWith('must only') ? `invalid name; ${why}` : `invalid namespace name: ${why}`,
    );
  }
}

export class UnknownNamespaceError extends NamespaceError {
  declare readonly code: 'ERR_NS_UNKNOWN';
  constructor(readonly namespace: string) {
    super('ERR_NS_UNKNOWN', `unknown namespace: ${namespace}`);
  }
}

/** `vm config restore NAME` / `vm launch ... NAME` of a config never saved. */
export class UnknownVmConfigError extends NamespaceError {
  declare readonly code: 'ERR_NS_UNKNOWN_VM_CONFIG';
  constructor(readonly config: string) {
    super('ERR_NS_UNKNOWN_VM_CONFIG', `config ${config} does not exist`);
  }
}

/** `ns del-bridge B` of a bridge `ns bridge` did not make in this namespace. */
export class UnknownTunnelBridgeError extends NamespaceError {
  declare readonly code: 'ERR_NS_UNKNOWN_BRIDGE';
  constructor(readonly bridge: string) {
    super('ERR_NS_UNKNOWN_BRIDGE', 'bridge is not associated with namespace');
  }
}
