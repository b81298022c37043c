// The launch plan of one container (pure): where its root is, the overlay
// mount, the host files it needs, and the argv + environment that start the
// shim in fresh namespaces on a console pty. Unit-tested; container.ts
// carries it out.
import { existsSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';
import type { VmConfig } from '../config.js';
import { ContainerFilesystemError } from './errors.js';
import { SHIM_SCRIPT } from './shim.js';

export type ContainerPlanConfig = Pick<
  VmConfig,
  'filesystem' | 'snapshot' | 'hostname' | 'init' | 'preinit' | 'fifos' | 'volume'
>;

export interface ContainerPlanInput {
  id: number;
  /** the VM name: the hostname when none is configured */
  name: string;
  /** `<base>/<id>` */
  instanceDir: string;
  config: ContainerPlanConfig;
  /** the cgroup.procs files the shim joins */
  procsFiles: readonly string[];
  /** true when the parent creates NICs (the shim waits for them before preinit) */
  hasNics: boolean;
  /** whether a host path exists (optional /proc and /sys entries; default fs.existsSync) */
  exists?: (hostPath: string) => boolean;
}

/** one entry of the /dev template the shim copies into the container's /dev */
export type DevEntry =
  | { path: string; kind: 'file' | 'dir' }
  | { path: string; kind: 'symlink'; target: string };

export interface OverlayPlan {
  /** the mount source (shows in /proc/mounts; `nuke` finds these) */
  source: string;
  lower: string;
  upper: string;
  work: string;
  target: string;
}

export interface ContainerPlan {
  /** the container's `/` on the host */
  root: string;
  overlay?: OverlayPlan;
  hostname: string;
  /** host-side fifos `I/fifo<i>` */
  fifos: string[];
  volumes: { source: string; target: string }[];
  /** mounts before /dev is populated (the overlay root, proc, the /dev tmpfs) */
  fstabPre: string;
  /** every other mount; the shim appends its console pty */
  fstab: string;
  /** what `I/dev/` holds (copied into the container's /dev) */
  dev: DevEntry[];
  /** handshake files */
  readyFile: string;
  goFifo: string;
  netFifo: string;
  uuidFile: string;
  /** the process to spawn (util-linux `script` gives the pty) */
  argv: string[];
  /** its environment (the shim's MM_* inputs) */
  env: Record<string, string>;
}

type FstabLine = [source: string, target: string, type: string, options: string];

/** device nodes a container gets (minimega's mknod list, §3.3 step 5) */
export const DEVICES = ['null', 'zero', 'full', 'tty', 'random', 'urandom'] as const;

const PRODUCT_UUID = 'devices/virtual/dmi/id/product_uuid';

/** fstab field escaping (spaces, tabs, newlines, backslashes as octal) */
export function fstabEscape(s: string): string {
  return s.replace(/[\\ \t\n]/g, (ch) => `\\${ch.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

function fstab(lines: FstabLine[]): string {
  return lines.map((l) => `${l.map(fstabEscape).join(' ')} 0 0\n`).join('');
}

/** namespaces every container gets */
export const UNSHARE_FLAGS = ['--mount', '--uts', '--ipc', '--pid', '--net', '--fork'] as const;

/** POSIX shell single-quoting */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** a container path: absolute, normalized, no `..` (a bind target must stay inside the root) */
function containerPath(p: string): string {
  const n = normalize(`/${p}`);
  if (p === '' || n.split('/').includes('..') || n === '/') {
    throw new ContainerFilesystemError(`invalid volume, expected a container path: ${p}`);
  }
  return n.replace(/\/$/, '');
}

function noSeparators(what: string, p: string, bad: RegExp): void {
  if (bad.test(p)) {
    throw new ContainerFilesystemError(`${what} may not contain ${bad.source}: ${p}`);
  }
}

export function planContainer(input: ContainerPlanInput): ContainerPlan {
  const { config: c, instanceDir: I } = input;
  if (c.filesystem === '') {
    throw new ContainerFilesystemError(
      'unable to create container without a configured filesystem',
    );
  }
  if (!isAbsolute(c.filesystem)) {
    throw new ContainerFilesystemError(`filesystem must be an absolute path: ${c.filesystem}`);
  }
  if (c.init.length === 0 || c.init[0] === '') {
    throw new ContainerFilesystemError('init must name a program');
  }
  let root = c.filesystem;
  let overlay: OverlayPlan | undefined;
  if (c.snapshot) {
    // overlay options are comma/colon separated: such paths cannot be expressed
    noSeparators('filesystem', c.filesystem, /[,:]/);
    noSeparators('instance dir', I, /[,:]/);
    const o = {
      source: `megamount_${input.id}`,
      lower: c.filesystem,
      upper: join(I, 'upper'),
      work: join(I, 'work'),
      target: join(I, 'fs'),
    };
    overlay = o;
    root = o.target;
  }
  const volumes = Object.entries(c.volume)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([target, source]) => {
      if (!isAbsolute(source)) {
        throw new ContainerFilesystemError(`volume source must be an absolute path: ${source}`);
      }
      return { source, target: containerPath(target) };
    });
  const hostname = c.hostname || input.name;
  const fifos = Array.from({ length: c.fifos }, (_, i) => join(I, `fifo${i}`));
  const env: Record<string, string> = {
    SHELL: '/bin/sh',
    MM_I: I,
    MM_R: root,
    MM_H: hostname,
    MM_CG: input.procsFiles.join('\n'),
    MM_PRE: c.preinit,
    MM_NET: input.hasNics ? '1' : '0',
  };
  const inner = [
    'exec',
    'unshare',
    ...UNSHARE_FLAGS,
    '--propagation',
    'slave',
    '--',
    '/bin/sh',
    '-c',
    SHIM_SCRIPT,
    'containerShim',
    ...c.init,
  ]
    .map((w, i) => (i < 2 ? w : shQuote(w)))
    .join(' ');
  const exists = input.exists ?? existsSync;
  const R = root;
  const pre: FstabLine[] = [
    // the overlay lives in the container's mount namespace only: it goes
    // away with the container, never left mounted on the host
    ...(overlay
      ? [
          [
            overlay.source,
            overlay.target,
            'overlay',
            `lowerdir=${overlay.lower},upperdir=${overlay.upper},workdir=${overlay.work}`,
          ] as FstabLine,
        ]
      : []),
    ['proc', `${R}/proc`, 'proc', 'nosuid,nodev,noexec,X-mount.mkdir'],
    ['tmpfs', `${R}/dev`, 'tmpfs', 'noexec,strictatime,mode=755,X-mount.mkdir'],
  ];
  const main: FstabLine[] = [
    ['shm', `${R}/dev/shm`, 'tmpfs', 'nosuid,nodev,noexec,mode=1777,size=65536k'],
    ['devpts', `${R}/dev/pts`, 'devpts', 'nosuid,noexec,newinstance,ptmxmode=666,gid=5,mode=620'],
    ['sysfs', `${R}/sys`, 'sysfs', 'ro,nosuid,nodev,noexec,X-mount.mkdir'],
    ...volumes.map((v): FstabLine => [v.source, `${R}${v.target}`, 'none', 'bind,X-mount.mkdir']),
    // the host's device nodes, bound (no mknod: no process per node)
    ...DEVICES.map((d): FstabLine => [`/dev/${d}`, `${R}/dev/${d}`, 'none', 'bind']),
    ...fifos.map((f, i): FstabLine => [f, `${R}/dev/fifos/fifo${i}`, 'none', 'bind']),
    ...['sys', 'sysrq-trigger', 'irq', 'bus']
      .filter((p) => exists(`/proc/${p}`))
      .map(
        (p): FstabLine => [
          `${R}/proc/${p}`,
          `${R}/proc/${p}`,
          'none',
          'bind,ro,nosuid,nodev,noexec',
        ],
      ),
    ...(exists('/proc/kcore')
      ? [[`/dev/null`, `${R}/proc/kcore`, 'none', 'bind'] as FstabLine]
      : []),
    ...(exists(`/sys/${PRODUCT_UUID}`)
      ? [[join(I, 'uuid'), `${R}/sys/${PRODUCT_UUID}`, 'none', 'bind'] as FstabLine]
      : []),
  ];
  const dev: DevEntry[] = [
    { path: 'shm', kind: 'dir' },
    { path: 'pts', kind: 'dir' },
    ...DEVICES.map((d): DevEntry => ({ path: d, kind: 'file' })),
    { path: 'console', kind: 'file' },
    { path: 'ptmx', kind: 'symlink', target: 'pts/ptmx' },
    { path: 'fd', kind: 'symlink', target: '/proc/self/fd' },
    { path: 'stdin', kind: 'symlink', target: '/proc/self/fd/0' },
    { path: 'stdout', kind: 'symlink', target: '/proc/self/fd/1' },
    { path: 'stderr', kind: 'symlink', target: '/proc/self/fd/2' },
    ...(c.fifos > 0 ? [{ path: 'fifos', kind: 'dir' } as DevEntry] : []),
    ...fifos.map((_, i): DevEntry => ({ path: `fifos/fifo${i}`, kind: 'file' })),
  ];
  return {
    root,
    fstabPre: fstab(pre),
    fstab: fstab(main),
    dev,
    ...(overlay ? { overlay } : {}),
    hostname,
    fifos,
    volumes,
    readyFile: join(I, 'ready'),
    goFifo: join(I, 'go'),
    netFifo: join(I, 'netready'),
    uuidFile: join(I, 'uuid'),
    argv: ['script', '-qfec', inner, '/dev/null'],
    env,
  };
}
