// The client's one error class: what went wrong talking to the daemon, as a
// literal code (match on it, never on the message).
export class ClientError extends Error {
  readonly code: 'ERR_DISCONNECTED' | 'ERR_DIAL' | 'ERR_BAD_REPLY' | 'ERR_CLOSED';
  constructor(code: ClientError['code'], message: string) {
    super(message);
    this.code = code;
  }
}
