// One error class per way a host can fail to deploy; rows and tests match
// them by `code`, never by message text.
export type DeployErrorCode =
  | 'ERR_DEPLOY_UNREACHABLE'
  | 'ERR_DEPLOY_AUTH'
  | 'ERR_DEPLOY_HOST_KEY'
  | 'ERR_DEPLOY_SSH'
  | 'ERR_DEPLOY_COPY'
  | 'ERR_DEPLOY_START'
  | 'ERR_DEPLOY_EXITED'
  | 'ERR_DEPLOY_TIMEOUT'
  | 'ERR_DEPLOY_SELF'
  | 'ERR_DEPLOY_ABORTED';

export abstract class DeployError extends Error {
  abstract readonly code: DeployErrorCode;
  /** what the row's error column starts with */
  abstract readonly what: string;
  constructor(detail: string) {
    super(detail);
  }
  get row(): string {
    return this.message ? `${this.what}: ${this.message}` : this.what;
  }
}

export class UnreachableError extends DeployError {
  readonly code = 'ERR_DEPLOY_UNREACHABLE' as const;
  readonly what = 'unreachable';
}
export class AuthRefusedError extends DeployError {
  readonly code = 'ERR_DEPLOY_AUTH' as const;
  readonly what = 'auth refused';
}
export class HostKeyError extends DeployError {
  readonly code = 'ERR_DEPLOY_HOST_KEY' as const;
  readonly what = 'host key mismatch';
}
export class SshError extends DeployError {
  readonly code = 'ERR_DEPLOY_SSH' as const;
  readonly what = 'ssh failed';
}
export class CopyFailedError extends DeployError {
  readonly code = 'ERR_DEPLOY_COPY' as const;
  readonly what = 'copy failed';
}
export class StartFailedError extends DeployError {
  readonly code = 'ERR_DEPLOY_START' as const;
  readonly what = 'start failed';
}
export class ExitedEarlyError extends DeployError {
  readonly code = 'ERR_DEPLOY_EXITED' as const;
  readonly what = 'exited early';
}
export class JoinTimeoutError extends DeployError {
  readonly code = 'ERR_DEPLOY_TIMEOUT' as const;
  readonly what = 'did not join the mesh';
}
export class DeploySelfError extends DeployError {
  readonly code = 'ERR_DEPLOY_SELF' as const;
  readonly what = 'refusing to deploy to this host';
}
export class DeployAbortedError extends DeployError {
  readonly code = 'ERR_DEPLOY_ABORTED' as const;
  readonly what = 'aborted';
}
