// `-recover` for containers: takes over a container a crashed daemon started.
// It kept running (its console pty reads and writes fifos in the instance
// dir, not pipes to the dead daemon); the new daemon checks the recorded
// shim is still that process (pid and start time), reopens its cgroups, the
// console fifos (a new console socket and TCP port) and the `go` fifo, and
// watches the shim's pid, since the container is not its child.
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { VmConfig } from '../config.js';
import type { NicAttacher } from '../host/types.js';
import { ensureCgroupMounts, openContainerCgroup } from './cgroups.js';
import { type ContainerConsole, startConsole } from './console.js';
import { ContainerStartError } from './errors.js';
import { openConsoleFifos, readContainerMeta, shimAlive, wasStarted } from './meta.js';
import { type ContainerProcess, running } from './process.js';

export interface ReattachContainerOptions {
  /** the shim's pid the VM record names */
  pid: number;
  instanceDir: string;
  config: VmConfig;
  /** removes the container's veths when it goes */
  nics?: NicAttacher;
  /** cgroup mount root (default /sys/fs/cgroup) */
  cgroupRoot?: string;
  /** TCP console address (default 127.0.0.1); false = unix socket only */
  consoleHost?: string | false;
  /** how often the shim's pid is checked (default 500 ms) */
  pollMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function reattachContainer(o: ReattachContainerOptions): Promise<ContainerProcess> {
  const I = o.instanceDir;
  const meta = await readContainerMeta(I);
  if (typeof meta === 'string') throw new ContainerStartError(`cannot re-adopt: ${meta}`);
  if (meta.shimPid !== o.pid || !shimAlive(meta)) {
    throw new ContainerStartError(`container (pid ${o.pid}) is not running any more`);
  }
  // a daemon in its own mount namespace (ip netns exec) mounts them first
  await ensureCgroupMounts(o.cgroupRoot);
  const cgroup = openContainerCgroup(meta.cgroup.version, meta.cgroup.dirs);
  if (!(await cgroup.pids()).includes(o.pid)) {
    throw new ContainerStartError(`container (pid ${o.pid}) is not in its cgroup any more`);
  }
  let fifos: ReturnType<typeof openConsoleFifos>;
  try {
    fifos = openConsoleFifos(I);
  } catch (err) {
    throw new ContainerStartError(`unable to reopen the console: ${(err as Error).message}`);
  }
  let console: ContainerConsole;
  try {
    console = await startConsole({
      output: fifos.output,
      input: fifos.input,
      unixPath: join(I, 'console'),
      host: o.consoleHost,
    });
  } catch (err) {
    fifos.close();
    throw new ContainerStartError(`unable to serve the console: ${(err as Error).message}`);
  }
  const go = await open(join(I, 'go'), 'r+');
  const taps = o.config.networks
    .filter((n) => n.tap !== '')
    .map((n) => ({ bridge: n.bridge, tap: n.tap }));
  const dropTaps = async () => {
    for (const t of taps.splice(0)) await o.nics?.deleteTap(t).catch(() => {});
  };
  const status = (async (): Promise<undefined> => {
    while (shimAlive(meta)) await sleep(o.pollMs ?? 500);
    return undefined;
  })();
  return running({
    status,
    argv: meta.argv,
    pid: o.pid,
    instanceDir: I,
    cgroup,
    console,
    fifos,
    fds: [go],
    go,
    dropTaps,
    started: await wasStarted(I),
  });
}
