// Running scripts on, and copying files to, remote hosts with the system's
// OpenSSH client (it brings the user's agent, keys and ~/.ssh/config).
// Batch mode (never a password prompt on the daemon's terminal), a connect
// timeout, and host keys trusted on first use and remembered in a
// known-hosts file under -base: never StrictHostKeyChecking=no (sharp edge 1).
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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

/** A piece of what a remote script reads on its stdin: bytes, or a local file's content. */
export type StdinPart = Uint8Array | { file: string };

export interface RunOptions {
  signal?: AbortSignal;
  /** fed to the script's stdin in order, then EOF (default: no stdin) */
  stdin?: StdinPart[];
}

/** What deploy needs from a remote host (a fake implements it in unit tests). */
export interface RemoteShell {
  /** run `script` with the remote login shell; rejects with a DeployError when ssh itself fails */
  run(target: SshTarget, script: string, opts?: RunOptions): Promise<ExecResult>;
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
  /** ssh binary (tests) */
  ssh?: string;
}

/**
 * Ciphers in order of preference: AES-GCM first (AES-NI makes it several
 * times cheaper than chacha20-poly1305, ssh's default, on the ~30 MB a
 * copy moves), then the rest of OpenSSH's defaults so any server still fits.
 */
export const CIPHERS = [
  'aes128-gcm@openssh.com',
  'aes256-gcm@openssh.com',
  'chacha20-poly1305@openssh.com',
  'aes128-ctr',
  'aes192-ctr',
  'aes256-ctr',
].join(',');

/** The options every ssh run gets. */
export function sshOptions(o: SshOptions): string[] {
  const opts = [
    'BatchMode=yes',
    'StrictHostKeyChecking=accept-new',
    `UserKnownHostsFile=${o.knownHosts}`,
    `ConnectTimeout=${o.connectTimeout ?? 5}`,
    'ServerAliveInterval=5',
    'ServerAliveCountMax=2',
    'LogLevel=ERROR',
    `Ciphers=${CIPHERS}`,
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

async function feed(sink: Writable, parts: StdinPart[]): Promise<void> {
  for (const part of parts) {
    if (part instanceof Uint8Array) {
      if (!sink.write(part)) await once(sink, 'drain');
    } else {
      await pipeline(createReadStream(part.file), sink, { end: false });
    }
  }
  sink.end();
}

export function createSshShell(o: SshOptions): RemoteShell {
  const ssh = o.ssh ?? 'ssh';
  return {
    async run(target, script, opts = {}) {
      const child = execa(ssh, [...sshOptions(o), '-T', dest(target), script], {
        reject: false,
        stdin: opts.stdin ? 'pipe' : 'ignore',
        ...(opts.signal ? { cancelSignal: opts.signal } : {}),
      });
      let fed: Promise<void> = Promise.resolve();
      if (opts.stdin && child.stdin) {
        const stdin = child.stdin;
        // a remote side that exits early closes the pipe (EPIPE): its exit status says why
        stdin.on('error', () => {});
        fed = feed(stdin, opts.stdin).catch(() => {
          stdin.destroy();
        });
      }
      const r = await child;
      await fed;
      if (r.failed && r.exitCode === undefined)
        throw new SshError(r.shortMessage ?? `${ssh} failed`);
      if (r.exitCode === 255) throw classifySshFailure(String(r.stderr));
      return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout), stderr: String(r.stderr) };
    },
  };
}
