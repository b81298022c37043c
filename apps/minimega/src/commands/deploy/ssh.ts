// Running scripts on, and copying files to, remote hosts with the system's
// OpenSSH client (it brings the user's agent, keys and ~/.ssh/config).
// Batch mode (never a password prompt on the daemon's terminal), a connect
// timeout, and host keys trusted on first use and remembered in a
// known-hosts file under -base: never StrictHostKeyChecking=no (sharp edge 1).
import { execa } from 'execa';
import {
  AuthRefusedError,
  type DeployError,
  HostKeyError,
  SshError,
  UnreachableError,
} from './errors.js';

export interface SshTarget {
  host: string;
  user?: string;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** What deploy needs from a remote host (a fake implements it in unit tests). */
export interface RemoteShell {
  /** run `script` with the remote login shell; rejects with a DeployError when ssh itself fails */
  run(target: SshTarget, script: string, opts?: { signal?: AbortSignal }): Promise<ExecResult>;
  /** copy a local file to `remotePath` */
  copy(
    target: SshTarget,
    local: string,
    remotePath: string,
    opts?: { signal?: AbortSignal },
  ): Promise<void>;
}

export interface SshOptions {
  /** known-hosts file (host keys trusted on first use land here) */
  knownHosts: string;
  /** private key file; default: the agent and ~/.ssh keys */
  identity?: string;
  /** seconds to wait for the TCP connection */
  connectTimeout?: number;
  /**
   * ssh connection sharing socket (ControlPath; %C is expanded by ssh): the
   * probe, copy, start and liveness checks of one host then share one
   * handshake instead of paying for four
   */
  controlPath?: string;
  /** ssh/scp binaries (tests) */
  ssh?: string;
  scp?: string;
}

/** The -o options both ssh and scp get. */
export function sshOptions(o: SshOptions): string[] {
  const opts = [
    'BatchMode=yes',
    'StrictHostKeyChecking=accept-new',
    `UserKnownHostsFile=${o.knownHosts}`,
    `ConnectTimeout=${o.connectTimeout ?? 5}`,
    'ServerAliveInterval=5',
    'ServerAliveCountMax=2',
    'LogLevel=ERROR',
  ];
  if (o.controlPath) {
    opts.push('ControlMaster=auto', `ControlPath=${o.controlPath}`, 'ControlPersist=10');
  }
  const args = opts.flatMap((x) => ['-o', x]);
  if (o.identity) args.push('-i', o.identity, '-o', 'IdentitiesOnly=yes');
  return args;
}

const dest = (t: SshTarget) => (t.user ? `${t.user}@${t.host}` : t.host);

/** Turn ssh's own failure (exit 255) into the error naming why. */
export function classifySshFailure(stderr: string): DeployError {
  const text = stderr.trim().split('\n').filter(Boolean).slice(-3).join('; ');
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/i.test(stderr))
    return new HostKeyError(text);
  if (
    /Permission denied|Too many authentication failures|no supported authentication/i.test(stderr)
  )
    return new AuthRefusedError(text);
  if (
    /Connection refused|No route to host|timed out|Could not resolve|Name or service not known|Network is unreachable|Connection closed|Connection reset/i.test(
      stderr,
    )
  )
    return new UnreachableError(text);
  return new SshError(text || 'ssh exited 255');
}

export function createSshShell(o: SshOptions): RemoteShell {
  const ssh = o.ssh ?? 'ssh';
  const scp = o.scp ?? 'scp';
  return {
    async run(target, script, opts = {}) {
      const r = await execa(ssh, [...sshOptions(o), '-T', dest(target), script], {
        reject: false,
        stdin: 'ignore',
        ...(opts.signal ? { cancelSignal: opts.signal } : {}),
      });
      if (r.failed && r.exitCode === undefined)
        throw new SshError(r.shortMessage ?? `${ssh} failed`);
      if (r.exitCode === 255) throw classifySshFailure(String(r.stderr));
      return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
    },
    async copy(target, local, remotePath, opts = {}) {
      const r = await execa(
        scp,
        [...sshOptions(o), '-B', '-q', local, `${dest(target)}:${remotePath}`],
        {
          reject: false,
          stdin: 'ignore',
          ...(opts.signal ? { cancelSignal: opts.signal } : {}),
        },
      );
      if (r.failed && r.exitCode === undefined)
        throw new SshError(r.shortMessage ?? `${scp} failed`);
      if (r.exitCode !== 0) {
        const e = classifySshFailure(String(r.stderr));
        if (e instanceof SshError) throw new SshError(`scp: ${e.message}`);
        throw e;
      }
    },
  };
}
