// Running scripts on, and copying files to, remote hosts with the system's
// OpenSSH client (it brings the user's agent, keys and ~/.ssh/config).
// Batch mode (never a password prompt on the daemon's terminal), a connect
// timeout, and host keys trusted on first use and remembered in a
// known-hosts file under -base: never StrictHostKeyChecking=no (sharp edge 1).
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
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
  stderr: string;
}

/** A piece of what a remote script reads on its stdin: bytes, or a local file's content. */
export type StdinPart = Uint8Array | { file: string };

/**
 * One ssh session running one script, talked to while it runs: deploy
 * probes, sends what is missing, starts and watches a host in a single
 * session, since every session costs the remote user's shell start-up
 * (a ~/.bashrc can take a second of CPU) on top of the handshake.
 */
export interface RemoteSession {
  /** the script's next stdout line; undefined once stdout has ended */
  readLine(): Promise<string | undefined>;
  /** send bytes or a file's content to the script's stdin */
  write(part: StdinPart): Promise<void>;
  /** close the script's stdin */
  end(): void;
  /** the script's exit; rejects with a DeployError when ssh itself failed (unreachable, auth...) */
  readonly done: Promise<ExecResult>;
}

/** What deploy needs from a remote host (a fake implements it in unit tests). */
export interface RemoteShell {
  /** start `script` with the remote login shell; aborting `signal` ends the session */
  session(target: SshTarget, script: string, opts?: { signal?: AbortSignal }): RemoteSession;
}

export interface SshOptions {
  /** known-hosts file (host keys trusted on first use land here) */
  knownHosts: string;
  /** private key file; default: the agent and ~/.ssh keys */
  identity?: string;
  /** seconds to wait for the TCP connection */
  connectTimeout?: number;
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
  return {
    session(target, script, opts = {}) {
      const child = execa(ssh, [...sshOptions(o), '-T', dest(target), script], {
        reject: false,
        stdin: 'pipe',
        stdout: 'pipe',
        buffer: { stdout: false, stderr: true },
        ...(opts.signal ? { cancelSignal: opts.signal } : {}),
      });
      const stdin = child.stdin!;
      // a remote side that exits early closes the pipe (EPIPE): its exit status says why
      stdin.on('error', () => {});
      const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
      const done = child.then((r) => {
        if (r.failed && r.exitCode === undefined && !r.isCanceled)
          throw new SshError(r.shortMessage ?? `${ssh} failed`);
        if (r.exitCode === 255) throw classifySshFailure(String(r.stderr));
        return { exitCode: r.exitCode ?? 1, stderr: String(r.stderr) };
      });
      done.catch(() => {});
      return {
        async readLine() {
          try {
            const n = await lines.next();
            return n.done ? undefined : n.value;
          } catch {
            return undefined;
          }
        },
        async write(part) {
          if (stdin.destroyed || stdin.writableEnded) return;
          try {
            if (part instanceof Uint8Array) {
              if (!stdin.write(part)) await once(stdin, 'drain');
            } else {
              await pipeline(createReadStream(part.file), stdin, { end: false });
            }
          } catch {
            // the session ended: `done` says why
          }
        },
        end() {
          stdin.end();
        },
        done,
      };
    },
  };
}
