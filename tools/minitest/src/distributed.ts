// The layout of minimega's distributed tests (shared/minitest/README.md):
// a head whose mesh peers are mm1, mm2 and mm3. Four virtual hosts from
// @mm/cluster (network namespaces on one private bridge, own hostnames,
// private /tmp, so every daemon uses the default -base /tmp/minimega; the
// checkout stays visible at its path even when it lives under /tmp), the
// container rootfs visible on each as /root/uminicccfs, and the runner talks
// to the head only.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type Lab, startLab } from '@mm/cluster';
import { RunnerClient } from './client.js';

export const DISTRIBUTED_HOSTS = ['mm1', 'mm2', 'mm3'] as const;
export const HEAD = 'head';
/** where the distributed tests expect a container root filesystem */
export const UMINICCCFS = '/root/uminicccfs';

export interface DistributedLayout extends AsyncDisposable {
  /** the head's control socket, reached through its mount namespace */
  readonly socket: string;
  readonly lab: Lab;
  /** each daemon's log file (outside the hosts) */
  readonly logs: Record<string, string>;
  close(): Promise<void>;
}

/** Build (or reuse the cached) container rootfs with tools/guest-image; its directory. */
export async function containerRootfs(repoRoot: string): Promise<string> {
  const cli = join(repoRoot, 'tools/guest-image/dist/cli.js');
  const args = existsSync(cli)
    ? [cli, '--container']
    : ['--import', 'tsx', join(repoRoot, 'tools/guest-image/src/cli.ts'), '--container'];
  const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: repoRoot });
  const dir = /^filesystem (.+)$/m.exec(stdout)?.[1];
  if (!dir) throw new Error(`tools/guest-image --container printed no filesystem path: ${stdout}`);
  return dir;
}

export async function startDistributed(opts: {
  /** argv that starts minimega (flags follow) */
  minimega: string[];
  /** extra daemon flags for every host */
  daemonArgs?: string[];
  /** the container rootfs to show as /root/uminicccfs ('' = none) */
  rootfs: string;
  /** paths the daemons run from (the checkout), kept visible when under /tmp */
  visible?: string[];
  /** how long the mesh may take to form */
  waitMs?: number;
}): Promise<DistributedLayout> {
  const names = [HEAD, ...DISTRIBUTED_HOSTS];
  const mounts = opts.rootfs ? [{ from: resolve(opts.rootfs), to: UMINICCCFS }] : [];
  const lab = await startLab(
    names.map((name) => ({
      name,
      privateTmp: true,
      tmpfs: ['/root'],
      mounts,
      visible: opts.visible ?? [],
    })),
  );
  const logs: Record<string, string> = {};
  const close = async () => {
    // SIGTERM first so each daemon tears its VMs, containers and OVS down
    await Promise.all(lab.hosts.map((h) => h.vhost?.killAll(15_000)));
    await lab.close();
  };
  try {
    for (const h of lab.hosts) {
      logs[h.name] = join(h.dir, 'minimega.log');
      h.vhost!.spawn(
        [...opts.minimega, '-nostdin', '-degree', '3', ...(opts.daemonArgs ?? [])],
        logs[h.name]!,
      );
    }
    const head = lab.host(HEAD).vhost!;
    // the head's /tmp is its own: reach its socket through its root
    const socket = `/proc/${head.pid}/root/tmp/minimega/minimega`;
    const client = await RunnerClient.dial(socket, 30_000);
    try {
      const end = Date.now() + (opts.waitMs ?? 60_000);
      for (;;) {
        // every peer answers a mesh send (mesh list prints ranges: mm[1-3])
        const r = await client.run(`mesh send ${DISTRIBUTED_HOSTS.join(',')} host name`);
        const answered = new Set(
          r
            .flatMap((x) => x.Resp ?? [])
            .filter((x) => !x.Error)
            .map((x) => x.Host),
        );
        const missing = DISTRIBUTED_HOSTS.filter((n) => !answered.has(n));
        if (missing.length === 0) break;
        if (Date.now() > end) {
          throw new Error(
            `the head's mesh never reached ${missing.join(', ')} (daemon logs: ${Object.values(logs).join(' ')})`,
          );
        }
        await new Promise((res) => setTimeout(res, 200));
      }
    } finally {
      client.close();
    }
    return { socket, lab, logs, close, [Symbol.asyncDispose]: close };
  } catch (e) {
    await close();
    throw e;
  }
}
