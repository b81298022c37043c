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
  constructor(readonly namespace: string) {
    super(
      'ERR_NS_INVALID_NAME',
      'invalid name; must only include letters, numbers, hyphens, underscores and dots',
    );
  }
}

export class UnknownNamespaceError extends NamespaceError {
  declare readonly code: 'ERR_NS_UNKNOWN';
  constructor(readonly namespace: string) {
    super('ERR_NS_UNKNOWN', `unknown namespace: ${namespace}`);
  }
}
