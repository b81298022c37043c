// The 'container' VM type driver (contract 3): plugs into the local VmHost
// beside QEMU's. start() gives a paused ContainerProcess; the generic VM
// lifecycle (vm.ts) does the states: resume/pause are the freezer, kill
// takes the PID namespace down, and the driver makes the veths itself
// (ownsNics) once the container's netns exists.
import type { StartVmOptions, VmDriver } from '../driver.js';
import { removeCgroupParent } from './cgroups.js';
import { type ContainerProcess, type StartContainerOptions, startContainer } from './process.js';
import { reattachContainer } from './reattach.js';

export interface ContainerDriverOptions {
  /** cgroup mount root (default /sys/fs/cgroup) */
  cgroupRoot?: string;
  /**
   * this daemon's group under each controller (default `minimega`); give
   * each daemon on a host its own (e.g. from its -base) so they never share
   */
  cgroupParent?: string;
  /**
   * prefix of each container's group name (`<prefix><id>`; default ''):
   * daemons sharing a parent (and a host) each need their own, e.g. `<pid>-`
   */
  cgroupPrefix?: string;
  /** TCP console address (default 127.0.0.1); false = unix socket only */
  consoleHost?: string | false;
  /** how long a shim may take to get ready (default 30 s) */
  readyTimeoutMs?: number;
}

export interface ContainerDriver extends VmDriver {
  readonly ownsNics: true;
  start(opts: StartVmOptions): Promise<ContainerProcess>;
  reattach(opts: Parameters<NonNullable<VmDriver['reattach']>>[0]): Promise<ContainerProcess>;
  /** removes the daemon's parent cgroups (containers must be killed first) */
  close(): Promise<void>;
}

export function createContainerDriver(opts: ContainerDriverOptions = {}): ContainerDriver {
  return {
    ownsNics: true,
    start(s: StartVmOptions) {
      const o: StartContainerOptions = {
        id: s.id,
        name: s.name ?? `vm-${s.id}`,
        namespace: s.namespace ?? '',
        config: s.config,
        instanceDir: s.instanceDir,
        ...(s.nics ? { nics: s.nics } : {}),
        ...(s.signal ? { signal: s.signal } : {}),
        cgroupName: `${opts.cgroupPrefix ?? ''}${s.id}`,
        ...(opts.cgroupRoot !== undefined ? { cgroupRoot: opts.cgroupRoot } : {}),
        ...(opts.cgroupParent !== undefined ? { cgroupParent: opts.cgroupParent } : {}),
        ...(opts.consoleHost !== undefined ? { consoleHost: opts.consoleHost } : {}),
        ...(opts.readyTimeoutMs !== undefined ? { readyTimeoutMs: opts.readyTimeoutMs } : {}),
      };
      return startContainer(o);
    },
    reattach(r) {
      return reattachContainer({
        pid: r.pid,
        instanceDir: r.instanceDir,
        config: r.config,
        ...(r.nics ? { nics: r.nics } : {}),
        ...(opts.cgroupRoot !== undefined ? { cgroupRoot: opts.cgroupRoot } : {}),
        ...(opts.consoleHost !== undefined ? { consoleHost: opts.consoleHost } : {}),
      });
    },
    async close() {
      await removeCgroupParent(opts.cgroupRoot, opts.cgroupParent);
    },
  };
}
