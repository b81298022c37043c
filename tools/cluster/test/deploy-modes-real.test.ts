// `deploy launch` modes the main deploy test does not cover, for real: a
// head with a mesh key deploys it with the executable, so the hosts join a
// keyed mesh (a keyed head refuses any peer without the same key: joining
// is the proof); `deploy launch <host> <user> sudo` logs in as a non-root
// user, copies as that user and starts minimega as root with sudo -n; a
// user sudo refuses fails naming sudo. One lab, three hosts.

import { existsSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MinimegaClient, type WireResp } from '@mm/minimega/client';
import { afterAll, beforeAll, expect } from 'vitest';
import { realComponent, tempDir } from '#test-support';
import { repoRoot } from '../src/daemon-entry.js';
import { type Lab, startLab } from '../src/lab.js';
import { ensureSea } from '../src/sea.js';
import { makeKeyPair, SSHD } from '../src/sshd.js';
import { netns } from './helpers.js';

const SUDO = '/usr/bin/sudo';
const real = realComponent('sshd and sudo', () => {
  if (netns.why) return netns.why;
  if (!existsSync(SSHD)) return `${SSHD} missing (apt-get install openssh-server)`;
  if (!existsSync(SUDO)) return `${SUDO} missing (apt-get install sudo)`;
  return undefined;
});

const USER = 'mmdeploy';
const UID = 4242;

let lab: Lab;
let head: MinimegaClient;
let etc: Awaited<ReturnType<typeof tempDir>>;

async function run(cmd: string): Promise<WireResp[]> {
  const replies = await head.runAll(cmd);
  return replies.filter((r) => !r.Status).flatMap((r) => r.Resp ?? []);
}

function row(resp: WireResp[], host: string): Record<string, string> {
  const t = resp.find((r) => r.Header);
  const found = t?.Tabular?.find((r) => r[0] === host);
  if (!t || !found) throw new Error(`no row for ${host}: ${JSON.stringify(resp)}`);
  return Object.fromEntries(t.Header!.map((h, i) => [h, found[i] ?? '']));
}

beforeAll(async () => {
  if (!real.ok) return;
  const exe = await ensureSea();
  const keys = await tempDir('deploy-modes-keys');
  const key = await makeKeyPair(join(keys.path, 'id'));
  // the hosts' own /etc/passwd (the host's plus a non-root user), shadow and sudoers
  etc = await tempDir('deploy-modes-etc');
  const passwd = join(etc.path, 'passwd');
  await writeFile(
    passwd,
    `${await readFile('/etc/passwd', 'utf8')}${USER}:x:${UID}:65534:deploy test:/tmp:/bin/sh\n`,
  );
  // sudo's PAM account check wants the user in shadow ('*': no password, not locked)
  const shadow = join(etc.path, 'shadow');
  await writeFile(shadow, `root:*:19000:0:99999:7:::\n${USER}:*:19000:0:99999:7:::\n`, {
    mode: 0o600,
  });
  const sudoers = join(etc.path, 'sudoers');
  const refusing = join(etc.path, 'sudoers-refusing');
  await writeFile(sudoers, `root ALL=(ALL) ALL\n${USER} ALL=(root) NOPASSWD: ALL\n`, {
    mode: 0o440,
  });
  await writeFile(refusing, 'root ALL=(ALL) ALL\n', { mode: 0o440 });
  const hide = [repoRoot.replace(/\/$/, ''), '/usr/bin/node', process.execPath];
  const asUser = (sudo: string) => ({
    hide,
    sshd: { authorizedKeys: [key] },
    files: [
      { from: passwd, to: '/etc/passwd' },
      { from: shadow, to: '/etc/shadow' },
      { from: sudo, to: '/etc/sudoers' },
    ],
  });
  lab = await startLab([
    // the head keeps the machine's /tmp: it runs the executable from the
    // checkout, which may itself live under /tmp (a private one would hide it)
    { name: 'head', privateTmp: false },
    { name: 'mm1', hide, sshd: { authorizedKeys: [key] } },
    { name: 'mm2', ...asUser(sudoers) },
    { name: 'mm3', ...asUser(refusing) },
  ]);
  // sshd reads authorized_keys as the user logging in
  for (const n of ['mm2', 'mm3']) {
    await chmod(lab.host(n).dir, 0o711);
    await chmod(join(lab.host(n).dir, 'authorized_keys'), 0o644);
  }
  const h = lab.host('head');
  await writeFile(join(h.dir, 'id'), await readFile(join(keys.path, 'id')), { mode: 0o600 });
  await writeFile(join(h.dir, 'mesh.key'), 'a key only this test knows\n', { mode: 0o600 });
  await keys[Symbol.asyncDispose]();
  h.vhost!.spawn(
    [exe, '-base', '/mnt/base', '-nostdin', '-degree', '3', '-meshkey', '/mnt/mesh.key'],
    join(h.dir, 'head.log'),
  );
  head = await MinimegaClient.dial(join(h.dir, 'base/minimega'), { waitMs: 20_000 });
  await run('deploy identity /mnt/id');
  await run('deploy timeout 60');
}, 120_000);

afterAll(async () => {
  await head?.close().catch(() => {});
  await lab?.close();
  await etc?.[Symbol.asyncDispose]();
}, 60_000);

real.test(
  'a keyed head deploys its key: the hosts join the keyed mesh (as root, and as a user with sudo)',
  async () => {
    const [r1, r2] = await Promise.all([
      run('deploy launch mm1'),
      run(`deploy launch mm2 ${USER} sudo`),
    ]);
    expect(row(r1, 'mm1')).toMatchObject({ result: 'joined', copy: 'copied', error: '' });
    const mm2 = row(r2, 'mm2');
    expect(mm2).toMatchObject({ result: 'joined', copy: 'copied', error: '' });
    const [status] = await run('mesh status');
    expect(status?.Tabular?.[0]?.[0]).toBe('3');
    const names = await run('mesh send mm[1-2] host name');
    expect(names.map((x) => x.Response).sort()).toEqual(['mm1', 'mm2']);

    // the key went along, private, and the remote daemons were started with it
    for (const n of ['mm1', 'mm2']) {
      const k = await lab
        .host(n)
        .vhost!.exec([
          'sh',
          '-c',
          'cd /tmp/minimega_deploy && stat -c "%a %u" meshkey-head && cat meshkey-head && tr "\\0" " " < /proc/$(cat /mnt/base/minimega.pid)/cmdline',
        ]);
      const [mode, key, cmdline] = k.stdout.split('\n');
      expect(mode).toBe(n === 'mm1' ? '600 0' : `600 ${UID}`);
      expect(key).toBe('a key only this test knows');
      expect(cmdline).toContain('-meshkey=/tmp/minimega_deploy/meshkey-head');
    }

    // mm2: copied by the user, running as root
    const owner = await lab
      .host('mm2')
      .vhost!.exec(['sh', '-c', `stat -c %u /tmp/minimega_deploy/minimega-* /proc/${mm2.pid}`]);
    expect(owner.stdout.trim().split('\n')).toEqual([String(UID), '0']);
  },
  120_000,
);

real.test(
  'sudo that wants a password fails the host naming sudo; nothing is started there',
  async () => {
    const resp = await run(`deploy launch mm3 ${USER} sudo`);
    const r = row(resp, 'mm3');
    expect(r.result).toBe('failed');
    expect(r.error).toMatch(/^start failed: sudo: .*password is required/);
    expect(resp.map((x) => x.Error).join('\n')).toMatch(/deploy mm3: start failed/);
    // nothing runs there, and the mesh did not change
    const ps = await lab.host('mm3').vhost!.exec(['sh', '-c', 'ls /mnt/base 2>&1; true']);
    expect(ps.stdout).not.toMatch(/minimega\.pid/);
    const [status] = await run('mesh status');
    expect(status?.Tabular?.[0]?.[0]).toBe('3');
  },
  60_000,
);
