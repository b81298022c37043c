// An OpenSSH server inside a virtual host (for `deploy`): its own host key,
// config and authorized_keys in `dir`, listening on the host's address.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { VirtualHost } from './vhost.js';

export const SSHD = '/usr/sbin/sshd';

export interface SshdOptions {
  host: VirtualHost;
  /** files of this server (host key, config, authorized_keys, log) */
  dir: string;
  /** where `dir` is seen inside the host (a bind mount; default: the same path) */
  inside?: string;
  /** the address it listens on */
  address: string;
  /** public keys allowed to log in as any user (root included) */
  authorizedKeys: string[];
  /** outlive this process (cluster.sh up) */
  detached?: boolean;
}

export interface Sshd {
  readonly dir: string;
  /** the server's public host key line (`ssh-ed25519 AAAA...`) */
  readonly hostKey: string;
  readonly logFile: string;
}

/** A fresh ed25519 key pair at `path` (and `path.pub`); returns the public line. */
export async function makeKeyPair(path: string): Promise<string> {
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'mm-cluster', '-f', path]);
  return (await readFile(`${path}.pub`, 'utf8')).trim();
}

export async function startSshd(o: SshdOptions): Promise<Sshd> {
  await mkdir(o.dir, { recursive: true, mode: 0o700 });
  await chmod(o.dir, 0o700);
  const inside = o.inside ?? o.dir;
  const hostKey = await makeKeyPair(join(o.dir, 'ssh_host_ed25519_key'));
  const hostKeyFile = join(inside, 'ssh_host_ed25519_key');
  const authorized = join(inside, 'authorized_keys');
  await writeFile(join(o.dir, 'authorized_keys'), `${o.authorizedKeys.join('\n')}\n`, {
    mode: 0o600,
  });
  await writeFile(
    join(o.dir, 'sshd_config'),
    [
      `ListenAddress ${o.address}`,
      'Port 22',
      `HostKey ${hostKeyFile}`,
      `AuthorizedKeysFile ${authorized}`,
      `PidFile ${join(inside, 'sshd.pid')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'PrintMotd no',
      // scp speaks SFTP since OpenSSH 9
      'Subsystem sftp internal-sftp',
      'LogLevel INFO',
      '',
    ].join('\n'),
  );
  const logFile = join(o.dir, 'sshd.log');
  // sshd wants its privilege-separation directory
  await o.host.exec(['mkdir', '-p', '/run/sshd']);
  const proc = o.host.spawn([SSHD, '-D', '-e', '-f', join(inside, 'sshd_config')], logFile, {
    detached: o.detached === true,
  });
  const end = Date.now() + 10_000;
  for (;;) {
    const log = await readFile(logFile, 'utf8').catch(() => '');
    if (log.includes('Server listening')) break;
    if (proc.exitCode !== null && proc.exitCode !== undefined) {
      throw new Error(`sshd on ${o.host.name} exited: ${log.trim()}`);
    }
    if (Date.now() > end) throw new Error(`sshd on ${o.host.name} did not start: ${log.trim()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  proc.catch(() => {});
  return { dir: o.dir, hostKey, logFile };
}
