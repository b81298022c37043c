// One run of a container (containers.md §3, §5.1), as the VM lifecycle sees
// it: a VmProcess that starts paused (the shim frozen just before
// exec(init)), resumes and pauses through the cgroup freezer, and whose kill
// takes the whole PID namespace down. Its overlay root is mounted inside the
// container's own mount namespace, so no host mount exists to leak; the
// upper dir under the instance dir keeps changes across relaunches until
// flush removes the dir. Everything a run made (cgroups, veths, console,
// fifo fds) is released before `exited` resolves, on kill and on exit alike.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  type FileHandle,
  mkdir,
  open,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { VmConfig } from '../config.js';
import type { VmExit, VmProcess } from '../driver.js';
import type { NicAttacher } from '../host/types.js';
import { type ContainerCgroup, createContainerCgroup } from './cgroups.js';
import { type ContainerConsole, startConsole } from './console.js';
import { ContainerFilesystemError, ContainerNetError, ContainerStartError } from './errors.js';
import {
  CONSOLE_IN,
  CONSOLE_OUT,
  markStarted,
  openConsoleFifos,
  processStart,
  writeContainerMeta,
} from './meta.js';
import { type ContainerPlan, type DevEntry, planContainer } from './plan.js';

export interface StartContainerOptions {
  id: number;
  /** the VM name (the hostname when none is configured) */
  name: string;
  namespace: string;
  config: VmConfig;
  /** `<base>/<id>`, already created */
  instanceDir: string;
  /** makes the veths (attachVeth) and removes them (deleteTap) */
  nics?: NicAttacher;
  /** cgroup mount root (default /sys/fs/cgroup) */
  cgroupRoot?: string;
  /** this daemon's group under each controller (default `minimega`) */
  cgroupParent?: string;
  /** this container's group (default the id) */
  cgroupName?: string;
  /** TCP console address (default 127.0.0.1); false = unix socket only */
  consoleHost?: string | false;
  /** how long the shim may take to get ready (default 30 s) */
  readyTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface ContainerProcess extends VmProcess {
  /** the console's unix socket */
  readonly console: string;
  /** the console's TCP port (0 = none) */
  readonly consolePort: number;
  /** the container's `/` as the host sees it (through the shim's mount namespace) */
  readonly root: string;
  /** what the console printed lately */
  scrollback(): string;
  /** host pids in the container */
  pids(): Promise<number[]>;
  /** the container's cgroup dirs */
  readonly cgroupDirs: readonly string[];
  resume(signal?: AbortSignal): Promise<void>;
  pause(signal?: AbortSignal): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const SIGNALS: Record<number, string> = {
  1: 'hangup',
  2: 'interrupt',
  6: 'aborted',
  9: 'killed',
  11: 'segmentation fault',
  15: 'terminated',
};

/** how a container's exit reads (Go's exec.ExitError wording, as minimega) */
export function describeExit(status: number, oom: boolean): string {
  const why =
    status >= 128
      ? `signal: ${SIGNALS[status - 128] ?? `signal ${status - 128}`}`
      : `exit status ${status}`;
  return oom ? `${why} (memory limit hit)` : why;
}

/** Starts a container, frozen before init. Rejects with what failed; nothing is left then. */
export async function startContainer(o: StartContainerOptions): Promise<ContainerProcess> {
  const { config, instanceDir: I, signal } = o;
  if (config.networks.length > 0 && !o.nics?.attachVeth) {
    throw new ContainerNetError('create tap: the networking module cannot attach container NICs');
  }
  let cgroup: ContainerCgroup | undefined;
  let child: ChildProcess | undefined;
  let consoleSrv: ContainerConsole | undefined;
  let fifos: { close(): void } | undefined;
  const fds: FileHandle[] = [];
  const taps: Array<{ bridge: string; tap: string }> = [];
  const dropTaps = async () => {
    for (const t of taps.splice(0)) {
      await o.nics?.deleteTap({ bridge: t.bridge, tap: t.tap }).catch(() => {});
    }
  };
  try {
    cgroup = await createContainerCgroup({
      root: o.cgroupRoot,
      parent: o.cgroupParent,
      name: o.cgroupName ?? String(o.id),
      memoryMb: config.memory,
      vcpus: config.vcpus,
    });
    const plan = planContainer({
      id: o.id,
      name: o.name,
      instanceDir: I,
      config,
      procsFiles: cgroup.procsFiles,
      hasNics: config.networks.length > 0,
    });
    await prepare(plan, config, I);
    const go = await open(plan.goFifo, 'r+');
    fds.push(go);
    const net = await open(plan.netFifo, 'r+');
    fds.push(net);

    // the pty's input and output are fifos in the instance dir, not pipes to
    // this process: the container outlives a daemon crash (no EOF, no
    // SIGPIPE) and a -recover daemon reopens its console there
    const childIn = await open(join(I, CONSOLE_IN), 'r+');
    const childOut = await open(join(I, CONSOLE_OUT), 'r+');
    try {
      fifos = openConsoleFifos(I);
      child = spawn(plan.argv[0] as string, plan.argv.slice(1), {
        env: plan.env,
        stdio: [childIn.fd, childOut.fd, 'ignore'],
        // its own process group: a terminal's ^C never reaches containers
        detached: true,
      });
    } finally {
      await childIn.close();
      await childOut.close();
    }
    const proc = child;
    const ends = fifos as ReturnType<typeof openConsoleFifos>;
    const status = new Promise<number>((resolve) => {
      proc.once('exit', (code, sig) => resolve(code ?? (sig ? 128 + 9 : 1)));
      proc.once('error', () => resolve(127));
    });
    let died = false;
    void status.then(() => {
      died = true;
    });
    consoleSrv = await startConsole({
      output: ends.output,
      input: ends.input,
      unixPath: join(I, 'console'),
      host: o.consoleHost,
    });
    const srv = consoleSrv;
    const deadline = Date.now() + (o.readyTimeoutMs ?? 30_000);
    const check = (what: string) => {
      if (died) {
        const last = srv.scrollback().toString('utf8').trim().split('\n').pop()?.trim() ?? '';
        throw new ContainerStartError(`start container: ${last || 'the shim exited'}`);
      }
      if (signal?.aborted) throw new ContainerStartError('start container: aborted');
      if (Date.now() > deadline)
        throw new ContainerStartError(`start container: ${what} timed out`);
    };
    // the shim is unshare's only child; unshare is script's
    let pid = 0;
    for (let i = 0; pid === 0; i++) {
      check('the shim');
      pid = await grandchild(proc.pid ?? 0);
      if (pid === 0) await sleep(i < 20 ? 2 : 10);
    }

    // NICs while the shim mounts (it waits for them before preinit)
    if (config.networks.length > 0) {
      const attach = o.nics?.attachVeth?.bind(o.nics);
      for (const [i, nic] of config.networks.entries()) {
        nic.driver = '';
        if (!attach) break;
        let tap: string;
        try {
          tap = await attach({
            namespace: o.namespace,
            vm: o.name,
            bridge: nic.bridge,
            vlan: nic.vlan,
            mac: nic.mac,
            pid,
            peer: `eth${i}`,
            signal,
          });
        } catch (err) {
          throw new ContainerNetError(`create tap: ${(err as Error).message}`, { cause: err });
        }
        nic.tap = tap;
        taps.push({ bridge: nic.bridge, tap });
      }
      await writeFile(join(I, 'taps'), config.networks.map((n) => n.tap).join('\n'));
      await net.write('\n');
    }

    for (let i = 0; !existsSync(plan.readyFile); i++) {
      check('getting ready');
      await sleep(i < 50 ? 4 : 20);
    }
    await cgroup.freeze(signal);
    await writeContainerMeta(I, {
      shimPid: pid,
      shimStart: processStart(pid),
      scriptPid: proc.pid ?? 0,
      cgroup: { version: cgroup.version, dirs: [...cgroup.dirs] },
      argv: proc.spawnargs,
    });
    return running({
      status,
      argv: proc.spawnargs,
      pid,
      instanceDir: I,
      cgroup,
      console: srv,
      fifos: ends,
      fds,
      go,
      dropTaps,
      started: false,
    });
  } catch (err) {
    // nothing of a failed start stays behind (sharp edge 11)
    if (child?.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }
    await cgroup?.killAll().catch(() => {});
    await consoleSrv?.close().catch(() => {});
    fifos?.close();
    await dropTaps();
    for (const fd of fds) await fd.close().catch(() => {});
    await cgroup?.remove().catch(() => {});
    throw err;
  }
}

/** the instance dir's files for one run */
async function prepare(plan: ContainerPlan, config: VmConfig, I: string): Promise<void> {
  try {
    await stat(config.filesystem);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ContainerFilesystemError(
      `overlayMount: stat ${config.filesystem}: ${code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`,
    );
  }
  const ov = plan.overlay;
  if (ov)
    for (const d of [ov.upper, ov.work, ov.target])
      await mkdir(d, { recursive: true, mode: 0o755 });
  await writeFile(join(I, 'name'), '').catch(() => {});
  await rm(plan.uuidFile, { force: true });
  await writeFile(plan.uuidFile, `${config.uuid}\n`, { mode: 0o400 });
  for (const v of plan.volumes) {
    try {
      await mkdir(v.source, { recursive: true, mode: 0o755 });
    } catch (err) {
      throw new ContainerFilesystemError(`start container: ${(err as Error).message}`);
    }
  }
  await writeFile(join(I, 'fstab.pre'), plan.fstabPre);
  await writeFile(join(I, 'fstab'), plan.fstab);
  await writeDevTemplate(join(I, 'dev'), plan.dev);
  await rm(plan.readyFile, { force: true });
  await rm(plan.goFifo, { force: true });
  await rm(plan.netFifo, { force: true });
  const consoleFifos = [join(I, CONSOLE_IN), join(I, CONSOLE_OUT)];
  for (const f of consoleFifos) await rm(f, { force: true });
  await rm(join(I, 'started'), { force: true });
  // a relaunch reuses the fifos (minimega fails with `file exists`, sharp edge 9)
  const fifos = [
    plan.goFifo,
    plan.netFifo,
    ...consoleFifos,
    ...plan.fifos.filter((f) => !existsSync(f)),
  ];
  await execa('mkfifo', ['-m', '0660', ...fifos]);
}

/** What a running container is made of, whether this daemon started it or re-adopted it. */
export interface RunningParts {
  /** its exit status; undefined when unknown (a re-adopted container is not our child) */
  status: Promise<number | undefined>;
  argv: readonly string[];
  /** the shim's host pid (PID 1 of the container) */
  pid: number;
  instanceDir: string;
  cgroup: ContainerCgroup;
  console: ContainerConsole;
  /** this side of the console fifos */
  fifos: { close(): void };
  fds: FileHandle[];
  /** the `go` fifo, opened for writing */
  go: FileHandle;
  dropTaps: () => Promise<void>;
  /** init was started already (`go` written) */
  started: boolean;
}

export function running(r: RunningParts): ContainerProcess {
  let started = r.started;
  let killing = false;
  let released: Promise<void> | undefined;
  const release = () => {
    released ??= (async () => {
      await r.cgroup.killAll().catch(() => {});
      await r.status;
      await r.console.close().catch(() => {});
      r.fifos.close();
      await r.dropTaps();
      for (const fd of r.fds) await fd.close().catch(() => {});
      // the kernel frees an emptied group a moment later: removeDirs retries
      await r.cgroup.remove().catch(() => {});
    })();
    return released;
  };
  const exited = (async (): Promise<VmExit> => {
    const status = await r.status;
    const oom = killing ? false : await r.cgroup.oomKilled().catch(() => false);
    await release();
    if (killing) return { expected: true, reason: 'killed' };
    if (status === 0) return { expected: true, reason: 'exit status 0' };
    if (status === undefined) {
      const how = `container (pid ${r.pid}, adopted after a daemon restart) exited; its exit status is unknown`;
      return { expected: false, reason: oom ? `${how} (memory limit hit)` : how };
    }
    return { expected: false, reason: `killed container: ${describeExit(status, oom)}` };
  })();
  return {
    pid: r.pid,
    argv: r.argv,
    console: join(r.instanceDir, 'console'),
    consolePort: r.console.port,
    root: `/proc/${r.pid}/root`,
    cgroupDirs: r.cgroup.dirs,
    exited,
    scrollback: () => r.console.scrollback().toString('utf8'),
    pids: () => r.cgroup.pids(),
    async resume() {
      await r.cgroup.thaw();
      if (!started) {
        started = true;
        await r.go.write('\n');
        await markStarted(r.instanceDir);
      }
    },
    async pause(signal) {
      await r.cgroup.freeze(signal);
    },
    async kill() {
      killing = true;
      await release();
      await exited;
    },
  };
}

async function writeDevTemplate(dir: string, entries: readonly DevEntry[]): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { mode: 0o755 });
  for (const e of entries) {
    const p = join(dir, e.path);
    if (e.kind === 'dir') await mkdir(p, { mode: 0o755 });
    else if (e.kind === 'symlink') await symlink(e.target, p);
    else await writeFile(p, '', { mode: 0o666 });
  }
}

/** the only grandchild of `pid` (script -> unshare -> shim), 0 when not there yet */
async function grandchild(pid: number): Promise<number> {
  const kids = async (p: number) =>
    (await readFile(`/proc/${p}/task/${p}/children`, 'utf8').catch(() => ''))
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  const [unshare] = await kids(pid);
  if (!unshare) return 0;
  const [shim] = await kids(unshare);
  return shim ?? 0;
}
