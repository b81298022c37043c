// One error class per condition, each with a literal `code` (matched by
// code, never by message text) and the HTTP status it maps to.

export type ApiErrorCode =
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'bad_request'
  | 'conflict'
  | 'command_failed'
  | 'daemon_unreachable'
  | 'timeout';

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    readonly status: number,
    message: string,
    /** the mesh host whose daemon said so, when one did */
    readonly host?: string,
  ) {
    super(message);
  }
}

export class UnauthorizedError extends ApiError {
  constructor(message = 'missing or unknown token') {
    super('unauthorized', 401, message);
  }
}

export class ForbiddenError extends ApiError {
  constructor(message = 'this token may only read (role viewer)') {
    super('forbidden', 403, message);
  }
}

export class NotFoundError extends ApiError {
  constructor(message: string, host?: string) {
    super('not_found', 404, message, host);
  }
}

export class BadRequestError extends ApiError {
  constructor(message: string) {
    super('bad_request', 400, message);
  }
}

/** The daemon answered with an error row. */
export class CommandFailedError extends ApiError {
  constructor(message: string, host?: string) {
    super('command_failed', 409, message, host);
  }
}

export class DaemonUnreachableError extends ApiError {
  constructor(message: string) {
    super('daemon_unreachable', 502, message);
  }
}

export class DaemonTimeoutError extends ApiError {
  constructor(command: string, ms: number) {
    super('timeout', 504, `daemon did not answer \`${command}\` within ${ms} ms`);
  }
}
