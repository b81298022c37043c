import { expect, test } from 'vitest';
import { classifySshFailure, sshOptions } from '../../src/commands/deploy/ssh.js';

test('host keys: trusted on first use into the known-hosts file under -base, never ignored', () => {
  const args = sshOptions({ knownHosts: '/tmp/minimega/known_hosts' }).join(' ');
  expect(args).toContain('StrictHostKeyChecking=accept-new');
  expect(args).toContain('UserKnownHostsFile=/tmp/minimega/known_hosts');
  expect(args).not.toMatch(/StrictHostKeyChecking=no/);
  // never a password prompt on the daemon's terminal
  expect(args).toContain('BatchMode=yes');
  expect(args).toMatch(/ConnectTimeout=\d+/);
});

test('an identity file is the only key offered', () => {
  const args = sshOptions({ knownHosts: '/k', identity: '/id' });
  expect(args.join(' ')).toContain('-i /id -o IdentitiesOnly=yes');
});

test.each([
  ['Host key verification failed.', 'ERR_DEPLOY_HOST_KEY', 'host key mismatch'],
  [
    '@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @\nHost key verification failed.',
    'ERR_DEPLOY_HOST_KEY',
    'host key mismatch',
  ],
  ['root@mm4: Permission denied (publickey).', 'ERR_DEPLOY_AUTH', 'auth refused'],
  ['ssh: connect to host mm5 port 22: Connection refused', 'ERR_DEPLOY_UNREACHABLE', 'unreachable'],
  ['ssh: connect to host mm5 port 22: No route to host', 'ERR_DEPLOY_UNREACHABLE', 'unreachable'],
  [
    'ssh: Could not resolve hostname kn9: Name or service not known',
    'ERR_DEPLOY_UNREACHABLE',
    'unreachable',
  ],
  ['something else', 'ERR_DEPLOY_SSH', 'ssh failed'],
])('ssh failure %j is %s', (stderr, code, what) => {
  const e = classifySshFailure(stderr);
  expect(e.code).toBe(code);
  expect(e.row.startsWith(what)).toBe(true);
});

test('AES-GCM is preferred (AES-NI), the defaults still follow for any server', () => {
  const args = sshOptions({ knownHosts: '/k' }).join(' ');
  expect(args).toMatch(/Ciphers=aes128-gcm@openssh\.com,[^ ]*chacha20-poly1305@openssh\.com/);
});
