// `read` and `vm hotplug add` hand files to clients and guests: FIFOs,
// devices, pseudo-filesystems, secrets and the daemon's own files are refused
// with a clear error, without blocking the file thread pool or leaking fds.
import { execFileSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MinimegaClient } from '../src/client/connection.js';
import { checkServed, PathRefusedError, refusal } from '../src/daemon/served-files.js';
import type { WireReply } from '../src/protocol/wire.js';
import { inProcessDaemon, tempBase } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const error = (rs: WireReply[]) => rs.map((r) => r.Resp?.[0]?.Error ?? '').join('\n');
/** fds of this process (the daemon runs in it) open on a file under `dir` */
const fdsUnder = (dir: string) =>
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir);
    } catch {
      return false;
    }
  });

describe('read refuses what it should not open', () => {
  it('FIFOs, /dev/zero, directories and /proc answer with errors, leak no fd and never block other reads', async () => {
    const d = await inProcessDaemon();
    cleanups.push(() => d.close());
    const c = await MinimegaClient.dial(d.socketPath);
    cleanups.push(() => c.close());
    const fifo = join(d.base, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const script = join(d.base, 'ok.mm');
    await writeFile(script, 'echo fine\n');
    // more FIFO reads than libuv has threads (4): none may hold one
    const fifoReads = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const cl = await MinimegaClient.dial(d.socketPath);
        try {
          return error(await cl.runAll(`read ${fifo}`));
        } finally {
          await cl.close();
        }
      }),
    );
    for (const e of fifoReads) expect(e).toBe(`refusing ${fifo}: a FIFO, not a regular file`);
    expect(error(await c.runAll('read /dev/zero'))).toBe(
      'refusing /dev/zero: files under /dev are not served',
    );
    expect(error(await c.runAll(`read ${d.base}`))).toBe(
      `refusing ${d.base}: a directory, not a regular file`,
    );
    expect(error(await c.runAll('read /proc/self/environ'))).toMatch(
      /files under \/proc are not served/,
    );
    expect(error(await c.runAll(`read ${join(d.base, 'minimega.pid')}`))).toMatch(
      /the daemon's own control files/,
    );
    const rs = await c.runAll(`read ${script}`);
    expect(rs.map((r) => r.Resp?.[0]?.Response)).toEqual(['fine']);
    // none of the files read (the FIFO above all) is still open (closing is async: allow a moment)
    for (let i = 0; i < 40 && fdsUnder(d.base).length > 0; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(fdsUnder(d.base).map((fd) => readlinkSync(`/proc/self/fd/${fd}`))).toEqual([]);
  });

  it('a file without newlines is not buffered whole', async () => {
    const d = await inProcessDaemon();
    cleanups.push(() => d.close());
    const c = await MinimegaClient.dial(d.socketPath);
    cleanups.push(() => c.close());
    const big = join(d.base, 'oneline');
    await writeFile(big, Buffer.alloc(3 << 20, 'a'));
    expect(error(await c.runAll(`read ${big}`))).toBe(
      `${big}:1: line longer than 1048576 bytes (not a script?)`,
    );
    expect((await c.runAll('echo ok'))[0]?.Resp?.[0]?.Response).toBe('ok');
  });
});

describe('served-file rules (read and vm hotplug add)', () => {
  const flags = { base: '/tmp/mmbase', meshkey: '/etc/minimega/mesh.key' };

  it.each([
    ['/dev/sda', 'files under /dev are not served'],
    ['/sys/kernel/notes', 'files under /sys are not served'],
    ['/proc/1/mem', 'files under /proc are not served'],
    ['/etc/shadow', 'a system secret'],
    ['/etc/sudoers.d/x', 'a system secret'],
    ['/etc/ssh/ssh_host_ed25519_key', 'an SSH host key'],
    ['/root/.ssh/id_rsa', 'a key directory'],
    ['/home/u/.gnupg/private-keys-v1.d/k', 'a key directory'],
    ['/etc/minimega/mesh.key', 'the mesh key'],
    ['/tmp/mmbase/minimega.pid', "the daemon's own control files"],
    ['/tmp/mmbase/ovs/conf.db', "the daemon's embedded Open vSwitch"],
    ['/tmp/mmbase/3/disk-0.qcow2', 'a VM instance directory'],
  ])('%s is refused: %s', (path, why) => {
    expect(refusal(path, flags)).toBe(why);
  });

  it.each([
    '/tmp/mmbase/files/disk.qcow2',
    '/tmp/mmbase/script.mm',
    '/home/u/images/usb.img',
    '/etc/ssh/ssh_config',
    '/srv/devices/x',
  ])('%s is allowed', (path) => {
    expect(refusal(path, flags)).toBeUndefined();
  });

  it('a symlink is judged by its target; hotplug paths may not carry QEMU option syntax', async () => {
    await using base = await tempBase();
    const f = { base: base.path, meshkey: '' };
    const link = join(base.path, 'innocent.img');
    await symlink('/etc/shadow', link);
    await expect(checkServed(link, 'read', f)).rejects.toThrow(`refusing ${link}: a system secret`);
    const img = join(base.path, 'files', 'a.img');
    await mkdir(join(base.path, 'files'));
    await writeFile(img, 'x');
    expect(await checkServed(img, 'hotplug', f)).toBe(img);
    const comma = join(base.path, 'files', 'a.img,format=raw');
    await writeFile(comma, 'x');
    const err = await checkServed(comma, 'hotplug', f).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PathRefusedError);
    expect((err as PathRefusedError).message).toMatch(
      /commas and control characters are not allowed/,
    );
    await expect(checkServed(join(base.path, 'missing'), 'hotplug', f)).rejects.toThrow(/ENOENT/);
  });
});
