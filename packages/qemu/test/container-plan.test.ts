// The container launch plan (pure): root, overlay, fstabs, /dev template,
// the shim's argv and environment, veth argv, exit wording.
import { describe, expect, test } from 'vitest';
import {
  ContainerFilesystemError,
  containerInfoCells,
  defaultVmConfig,
  describeExit,
  fstabEscape,
  planContainer,
  shQuote,
  tarTopLevel,
  vethArgv,
} from '../src/index.js';

function input(tweak: (c: ReturnType<typeof defaultVmConfig>) => void = () => {}) {
  const config = defaultVmConfig();
  config.filesystem = '/srv/fs';
  tweak(config);
  return {
    id: 7,
    name: 'foo',
    instanceDir: '/tmp/mm/7',
    config,
    procsFiles: ['/cg/freezer/mm/7/cgroup.procs', '/cg/memory/mm/7/cgroup.procs'],
    hasNics: false,
    exists: (p: string) => p === '/proc/sys' || p === '/proc/bus',
  };
}

describe('planContainer', () => {
  test('snapshot: an overlay under the instance dir is the root', () => {
    const p = planContainer(input());
    expect(p.root).toBe('/tmp/mm/7/fs');
    // mounted first, inside the container's own mount namespace
    expect(p.fstabPre.split('\n')[0]).toBe(
      'megamount_7 /tmp/mm/7/fs overlay lowerdir=/srv/fs,upperdir=/tmp/mm/7/upper,workdir=/tmp/mm/7/work 0 0',
    );
  });

  test('persistent mode (snapshot false) writes into the filesystem itself', () => {
    const p = planContainer(input((c) => (c.snapshot = false)));
    expect(p.root).toBe('/srv/fs');
    expect(p.overlay).toBeUndefined();
  });

  test('the hostname defaults to the VM name', () => {
    expect(planContainer(input()).hostname).toBe('foo');
    expect(planContainer(input((c) => (c.hostname = 'h1'))).hostname).toBe('h1');
  });

  test('fstabs: proc and /dev first, then shm, pts, sys, volumes, devices, fifos, read-only /proc parts', () => {
    const p = planContainer(
      input((c) => {
        c.fifos = 2;
        c.volume = { '/scratch': '/tmp/vol', '/b': '/tmp/with space' };
      }),
    );
    const R = '/tmp/mm/7/fs';
    expect(p.fstabPre.split('\n').slice(1).join('\n')).toBe(
      `proc ${R}/proc proc nosuid,nodev,noexec,X-mount.mkdir 0 0\n` +
        `tmpfs ${R}/dev tmpfs noexec,strictatime,mode=755,X-mount.mkdir 0 0\n`,
    );
    const lines = p.fstab.trim().split('\n');
    expect(lines.slice(0, 3).map((l) => l.split(' ')[1])).toEqual([
      `${R}/dev/shm`,
      `${R}/dev/pts`,
      `${R}/sys`,
    ]);
    expect(lines).toContain(`/tmp/with\\040space ${R}/b none bind,X-mount.mkdir 0 0`);
    expect(lines).toContain(`/tmp/vol ${R}/scratch none bind,X-mount.mkdir 0 0`);
    expect(lines).toContain(`/dev/null ${R}/dev/null none bind 0 0`);
    expect(lines).toContain(`/tmp/mm/7/fifo1 ${R}/dev/fifos/fifo1 none bind 0 0`);
    expect(lines).toContain(`${R}/proc/sys ${R}/proc/sys none bind,ro,nosuid,nodev,noexec 0 0`);
    // entries this kernel lacks are left out (no kcore, no sysrq-trigger here)
    expect(p.fstab).not.toContain('kcore');
    expect(p.fstab).not.toContain('sysrq');
    expect(p.fstab).not.toContain('product_uuid');
    expect(p.fifos).toEqual(['/tmp/mm/7/fifo0', '/tmp/mm/7/fifo1']);
  });

  test('the /dev template: device files, pts/shm, fixed std links, fifos', () => {
    const p = planContainer(input((c) => (c.fifos = 1)));
    expect(p.dev).toContainEqual({ path: 'stdin', kind: 'symlink', target: '/proc/self/fd/0' });
    expect(p.dev).toContainEqual({ path: 'ptmx', kind: 'symlink', target: 'pts/ptmx' });
    expect(p.dev).toContainEqual({ path: 'null', kind: 'file' });
    expect(p.dev).toContainEqual({ path: 'fifos/fifo0', kind: 'file' });
  });

  test('argv: script gives the pty, unshare the five namespaces, init words quoted', () => {
    const p = planContainer(input((c) => (c.init = ['/init', "it's", 'a b'])));
    expect(p.argv[0]).toBe('script');
    expect(p.argv[1]).toBe('-qfec');
    expect(p.argv[3]).toBe('/dev/null');
    const cmd = p.argv[2] as string;
    expect(cmd.startsWith("exec unshare '--mount' '--uts' '--ipc' '--pid' '--net' '--fork'")).toBe(
      true,
    );
    expect(cmd.endsWith(`'containerShim' '/init' 'it'\\''s' 'a b'`)).toBe(true);
    expect(p.env).toMatchObject({
      MM_I: '/tmp/mm/7',
      MM_R: '/tmp/mm/7/fs',
      MM_H: 'foo',
      MM_CG: '/cg/freezer/mm/7/cgroup.procs\n/cg/memory/mm/7/cgroup.procs',
      MM_PRE: '',
      MM_NET: '0',
    });
  });

  test('errors name what is wrong', () => {
    const fsErr = (tweak: Parameters<typeof input>[0]) => {
      try {
        planContainer(input(tweak));
      } catch (e) {
        expect(e).toBeInstanceOf(ContainerFilesystemError);
        return (e as Error).message;
      }
      return '';
    };
    expect(fsErr((c) => (c.filesystem = ''))).toBe(
      'unable to create container without a configured filesystem',
    );
    expect(fsErr((c) => (c.filesystem = '/a,b'))).toMatch(/filesystem may not contain/);
    expect(fsErr((c) => (c.volume = { '..': '/tmp/x' }))).toMatch(/invalid volume/);
    expect(fsErr((c) => (c.volume = { '/x': 'rel' }))).toMatch(/absolute/);
    expect(fsErr((c) => (c.init = []))).toMatch(/init/);
  });
});

test('shQuote and fstabEscape', () => {
  expect(shQuote("a'b")).toBe(`'a'\\''b'`);
  expect(fstabEscape('a b\tc\\d')).toBe('a\\040b\\011c\\134d');
});

test('vethArgv: the container end is made inside its netns with the MAC', () => {
  expect(vethArgv({ tap: 'mega_tap1', peer: 'eth0', mac: '00:11:22:33:44:55', pid: 42 })).toEqual([
    [
      'ip',
      'link',
      'add',
      'mega_tap1',
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'address',
      '00:11:22:33:44:55',
      'netns',
      '42',
    ],
    ['ip', 'link', 'set', 'mega_tap1', 'up'],
  ]);
  expect(
    vethArgv({ tap: 't', peer: 'eth1', mac: '', pid: 1, hostNetns: 'ns1' })[0]?.slice(0, 3),
  ).toEqual(['ip', '-n', 'ns1']);
});

test('describeExit: Go exec wording, memory-limit kills say so', () => {
  expect(describeExit(1, false)).toBe('exit status 1');
  expect(describeExit(137, false)).toBe('signal: killed');
  expect(describeExit(137, true)).toBe('signal: killed (memory limit hit)');
});

test('containerInfoCells: container columns as minimega prints them, N/A for kvm', () => {
  const config = defaultVmConfig();
  config.filesystem = '/fs';
  config.volume = { '/z': '/b', '/a': '/c' };
  expect(containerInfoCells({ type: 'container', name: 'foo', config, consolePort: 4000 })).toEqual(
    {
      filesystem: '/fs',
      hostname: 'foo',
      init: '[/init]',
      preinit: '',
      fifo: 'N/A',
      volume: '{"/a":"/c","/z":"/b"}',
      console_port: '4000',
    },
  );
  expect(containerInfoCells({ type: 'kvm', name: 'k', config }).volume).toBe('N/A');
});

test('tarTopLevel: exactly one top-level directory', () => {
  expect(tarTopLevel('minicccfs/\nminicccfs/init\nminicccfs/bin/busybox\n')).toBe('minicccfs');
  expect(tarTopLevel('./fs/\n./fs/init\n')).toBe('fs');
  expect(() => tarTopLevel('a/\nb/\n')).toThrow(
    'unable to handle tar without a single top-level directory',
  );
  expect(() => tarTopLevel('')).toThrow(/single top-level/);
});
