// One container VM and its lifecycle (containers.md §3, §5): launch builds
// the root (overlay), cgroups, namespaces and veths and leaves the shim
// frozen just before exec(init) in BUILDING; start thaws (RUNNING), stop
// freezes (PAUSED), kill SIGKILLs the whole PID namespace (QUIT); init
// exiting gives QUIT (0) or ERROR `killed container: ...`; flush unmounts
// the overlay and removes the instance dir. Operations are serialized.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  chmod,
  mkdir,
  open,
  readFile,
  rm,
  rmdir,
  stat,
  symlink,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import type { VmConfig } from '../config.js';
import { VmStateError } from '../errors.js';
import { isKillable, type VmState } from '../vm.js';
import { type ContainerCgroup, createContainerCgroup } from './cgroups.js';
import { type ContainerConsole, startConsole } from './console.js';
import { ContainerFilesystemError, ContainerStartError } from './errors.js';
import { type ContainerPlan, type DevEntry, planContainer } from './plan.js';
import { createVeth, deleteVeth, type VethAttacher } from './veth.js';

export interface ContainerVmOptions {
  id: number;
  name: string;
  namespace: string;
  host: string;
  /** the VM's own copy of the config (uuid and MACs filled in) */
  config: VmConfig;
  /** `-base`: the instance dir is `<base>/<id>` */
  baseDir: string;
  /** cgroup mount root (default /sys/fs/cgroup) */
  cgroupRoot?: string;
  /** this daemon's group under each controller (default `minimega`) */
  cgroupParent?: string;
  /** this container's group (default the id) */
  cgroupName?: string;
  /** puts veths on bridges; required when the config has networks */
  nics?: VethAttacher;
  /** `ip netns` name the host ends live in (tests); default ours */
  hostNetns?: string;
  /** TCP console address (default 127.0.0.1); false = unix socket only */
  consoleHost?: string | false;
  /** how long the shim may take to get ready (default 30 s) */
  readyTimeoutMs?: number;
  log?: (level: 'info' | 'warn' | 'error' | 'debug', msg: string) => void;
}

class Mutex {
  #tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(fn, fn);
    this.#tail = next.catch(() => {});
    return next;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One launched shim: everything a kill or an exit must release. */
interface Running {
  child: ChildProcess;
  /** resolves with script's exit status (128+n = signal n) */
  exited: Promise<number>;
  cgroup: ContainerCgroup;
  console?: ContainerConsole;
  /** fds held open on the handshake fifos (so no open blocks) */
  fds: Array<{ close(): Promise<void>; write(s: string): Promise<unknown> }>;
  go: { write(s: string): Promise<unknown> };
  taps: Array<{ bridge: string; tap: string }>;
  started: boolean;
  killing: boolean;
}

const SIGNALS: Record<number, string> = {
  9: 'killed',
  15: 'terminated',
  6: 'aborted',
  11: 'segmentation fault',
  2: 'interrupt',
  1: 'hangup',
};

/** how a container's exit reads (Go's exec.ExitError wording, as minimega) */
export function describeExit(status: number, oom: boolean): string {
  const why =
    status >= 128
      ? `signal: ${SIGNALS[status - 128] ?? `signal ${status - 128}`}`
      : `exit status ${status}`;
  return oom ? `${why} (memory limit hit)` : why;
}

export class ContainerVm {
  readonly id: number;
  readonly name: string;
  readonly namespace: string;
  readonly host: string;
  readonly config: VmConfig;
  readonly instanceDir: string;
  readonly launchTime = Date.now();
  readonly type = 'container' as const;
  state: VmState = 'BUILDING';
  /** host pid of the shim, then of init (kept after QUIT) */
  pid = 0;
  /** TCP console port (0 until the listener is up) */
  consolePort = 0;
  ccActive = false;
  #opts: ContainerVmOptions;
  #lock = new Mutex();
  #launched = false;
  #run: Running | undefined;
  #plan: ContainerPlan | undefined;
  #overlayMounted = false;
  #changed: Array<() => void> = [];

  constructor(opts: ContainerVmOptions) {
    this.#opts = opts;
    this.id = opts.id;
    this.name = opts.name;
    this.namespace = opts.namespace;
    this.host = opts.host;
    this.config = opts.config;
    // minimega replaces an empty hostname by the VM name at creation
    if (!this.config.hostname) this.config.hostname = opts.name;
    this.instanceDir = join(opts.baseDir, String(opts.id));
  }

  get tags(): Record<string, string> {
    return this.config.tags;
  }

  /** the container's `/` on the host (the overlay with snapshot) */
  get root(): string {
    return this.#plan?.root ?? this.config.filesystem;
  }

  /** the console's unix socket */
  get consolePath(): string {
    return join(this.instanceDir, 'console');
  }

  /** what the console printed lately */
  consoleScrollback(): string {
    return this.#run?.console?.scrollback().toString('utf8') ?? '';
  }

  /** host pids in the container (empty when not running) */
  async pids(): Promise<number[]> {
    return (await this.#run?.cgroup.pids()) ?? [];
  }

  /** the cgroup dirs of the running container */
  get cgroupDirs(): readonly string[] {
    return this.#run?.cgroup.dirs ?? [];
  }

  #log(level: 'info' | 'warn' | 'error' | 'debug', msg: string): void {
    this.#opts.log?.(level, `container ${this.id} (${this.name}): ${msg}`);
  }

  nextChange(): Promise<void> {
    return new Promise((r) => this.#changed.push(r));
  }

  async #setState(s: VmState): Promise<void> {
    this.state = s;
    await writeFile(join(this.instanceDir, 'state'), s).catch(() => {});
    const w = this.#changed;
    this.#changed = [];
    for (const fn of w) fn();
  }

  async #setError(msg: string): Promise<string> {
    this.config.tags.error = msg;
    this.#log('error', msg);
    await this.#setState('ERROR');
    return msg;
  }

  #aliasPath(): string {
    return join(this.#opts.baseDir, 'namespaces', this.namespace, this.config.uuid);
  }

  /** Builds the container and leaves it frozen before init. Resolves '' or the error (state ERROR). */
  launch(signal?: AbortSignal): Promise<string> {
    return this.#lock.run(() => this.#launch(signal));
  }

  async #firstLaunch(plan: ContainerPlan, signal?: AbortSignal): Promise<void> {
    await mkdir(this.instanceDir, { recursive: true, mode: 0o700 });
    try {
      await stat(this.config.filesystem);
    } catch (err) {
      throw new ContainerFilesystemError(
        `overlayMount: stat ${this.config.filesystem}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`,
      );
    }
    const o = plan.overlay;
    if (o) {
      for (const d of [o.upper, o.work, o.target]) await mkdir(d, { recursive: true, mode: 0o755 });
      const r = await execa(o.argv[0] as string, o.argv.slice(1), { reject: false, signal });
      if (r.exitCode !== 0) {
        throw new ContainerFilesystemError(
          `overlayMount: ${String(r.stderr).trim() || `exit status ${r.exitCode}`}`,
        );
      }
      this.#overlayMounted = true;
    }
    try {
      const alias = this.#aliasPath();
      await mkdir(dirname(alias), { recursive: true, mode: 0o700 });
      await symlink(this.instanceDir, alias);
    } catch (err) {
      throw new ContainerFilesystemError(`createInstancePathAlias: ${(err as Error).message}`);
    }
  }

  async #launch(signal?: AbortSignal): Promise<string> {
    const cg = {
      root: this.#opts.cgroupRoot,
      parent: this.#opts.cgroupParent,
      name: this.#opts.cgroupName ?? String(this.id),
    };
    let cgroup: ContainerCgroup | undefined;
    let child: ChildProcess | undefined;
    const fds: Running['fds'] = [];
    const taps: Running['taps'] = [];
    let consoleSrv: ContainerConsole | undefined;
    try {
      cgroup = await createContainerCgroup({
        ...cg,
        memoryMb: this.config.memory,
        vcpus: this.config.vcpus,
      });
      const plan = planContainer({
        id: this.id,
        name: this.name,
        instanceDir: this.instanceDir,
        config: this.config,
        procsFiles: cgroup.procsFiles,
        hasNics: this.config.networks.length > 0,
      });
      this.#plan = plan;
      if (!this.#launched) {
        this.#launched = true;
        await this.#firstLaunch(plan, signal);
      }
      if (this.config.networks.length > 0 && !this.#opts.nics) {
        throw new ContainerStartError('create tap: no networking for container NICs');
      }
      const I = this.instanceDir;
      await writeFile(join(I, 'name'), this.name);
      await rm(plan.uuidFile, { force: true });
      await writeFile(plan.uuidFile, `${this.config.uuid}\n`, { mode: 0o400 });
      for (const v of plan.volumes) await mkdir(v.source, { recursive: true, mode: 0o755 });
      await writeFile(join(I, 'fstab.pre'), plan.fstabPre);
      await writeFile(join(I, 'fstab'), plan.fstab);
      await writeDevTemplate(join(I, 'dev'), plan.dev);
      await rm(plan.readyFile, { force: true });
      await rm(plan.goFifo, { force: true });
      await rm(plan.netFifo, { force: true });
      // a relaunch reuses the fifos (minimega fails with `file exists`, sharp edge 9)
      const fifos = [plan.goFifo, plan.netFifo, ...plan.fifos.filter((f) => !existsSync(f))];
      await execa('mkfifo', ['-m', '0660', ...fifos]);
      // O_RDWR on a fifo never blocks and keeps it open for the shim's reads
      const go = await open(plan.goFifo, 'r+');
      const net = await open(plan.netFifo, 'r+');
      fds.push(go, net);

      child = spawn(plan.argv[0] as string, plan.argv.slice(1), {
        env: plan.env,
        stdio: ['pipe', 'pipe', 'ignore'],
        detached: true,
      });
      const proc = child;
      const exited = new Promise<number>((resolve) => {
        proc.once('exit', (code, sig) => resolve(code ?? (sig ? 128 + 9 : 1)));
        proc.once('error', () => resolve(127));
      });
      proc.stdin?.on('error', () => {});
      if (!proc.stdout || !proc.stdin)
        throw new ContainerStartError('start container: no console pipes');
      let died = false;
      void exited.then(() => {
        died = true;
      });
      consoleSrv = await startConsole({
        output: proc.stdout,
        input: proc.stdin,
        unixPath: this.consolePath,
        host: this.#opts.consoleHost,
      });
      this.consolePort = consoleSrv.port;

      const deadline = Date.now() + (this.#opts.readyTimeoutMs ?? 30_000);
      const why = () =>
        `start container: shim exited before it was ready: ${consoleSrv?.scrollback().toString('utf8').trim().split('\n').pop() ?? ''}`;
      // the shim is unshare's only child; unshare is script's
      let shimPid = 0;
      for (let i = 0; shimPid === 0; i++) {
        if (died) throw new ContainerStartError(why());
        if (Date.now() > deadline || signal?.aborted)
          throw new ContainerStartError('start container: shim did not start');
        shimPid = await grandchild(proc.pid ?? 0);
        if (shimPid === 0) await sleep(i < 20 ? 2 : 10);
      }
      this.pid = shimPid;

      // networking while the shim mounts (the shim waits for it before preinit)
      if (this.config.networks.length > 0) {
        const nics = this.#opts.nics as VethAttacher;
        for (const [i, nic] of this.config.networks.entries()) {
          nic.driver = '';
          if (!nic.tap) nic.tap = nics.tapName();
          await createVeth(
            {
              tap: nic.tap,
              peer: `eth${i}`,
              mac: nic.mac,
              pid: shimPid,
              hostNetns: this.#opts.hostNetns,
            },
            signal,
          );
          taps.push({ bridge: nic.bridge, tap: nic.tap });
          await nics.connect({
            namespace: this.namespace,
            vm: this.name,
            bridge: nic.bridge,
            vlan: nic.vlan,
            tap: nic.tap,
            mac: nic.mac,
            signal,
          });
        }
        await writeFile(join(I, 'taps'), this.config.networks.map((n) => n.tap).join('\n'));
        await net.write('\n');
      }

      for (let i = 0; !existsSync(plan.readyFile); i++) {
        if (died) throw new ContainerStartError(why());
        if (Date.now() > deadline || signal?.aborted)
          throw new ContainerStartError('start container: shim not ready in time');
        await sleep(i < 50 ? 4 : 20);
      }
      await cgroup.freeze(signal);
      const run: Running = {
        child: proc,
        exited,
        cgroup,
        console: consoleSrv,
        fds,
        go,
        taps,
        started: false,
        killing: false,
      };
      this.#run = run;
      void exited.then(() => this.#lock.run(() => this.#onExit(run)));
      return '';
    } catch (err) {
      // nothing of a failed launch stays behind (sharp edge 11)
      if (child?.pid) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {}
      }
      await cgroup?.killAll().catch(() => {});
      await consoleSrv?.close().catch(() => {});
      for (const t of taps) await this.#dropTap(t);
      for (const fd of fds) await fd.close().catch(() => {});
      await cgroup?.remove().catch((e) => this.#log('warn', (e as Error).message));
      return this.#setError((err as Error).message);
    }
  }

  async #dropTap(t: { bridge: string; tap: string }): Promise<void> {
    await this.#opts.nics?.disconnect({ bridge: t.bridge, tap: t.tap }).catch(() => {});
    await deleteVeth(t.tap, this.#opts.hostNetns);
  }

  /** releases everything of one run; the caller holds the lock */
  async #release(run: Running): Promise<void> {
    await run.cgroup.killAll().catch((e) => this.#log('warn', (e as Error).message));
    await run.exited;
    await run.console?.close().catch(() => {});
    for (const t of run.taps) await this.#dropTap(t);
    for (const fd of run.fds) await fd.close().catch(() => {});
    await run.cgroup.remove().catch((e) => this.#log('warn', (e as Error).message));
  }

  async #onExit(run: Running): Promise<void> {
    if (this.#run !== run || run.killing) return;
    const status = await run.exited;
    const oom = await run.cgroup.oomKilled().catch(() => false);
    this.#run = undefined;
    await this.#release(run);
    if (!isKillable(this.state)) return;
    if (status === 0) await this.#setState('QUIT');
    else await this.#setError(`killed container: ${describeExit(status, oom)}`);
  }

  /**
   * Starts (thaws). QUIT/ERROR containers are relaunched unless `wild`; a
   * running one is skipped when `wild`, else an error. Returns false when skipped.
   */
  start(opts: { wild: boolean; signal?: AbortSignal }): Promise<boolean> {
    return this.#lock.run(async () => {
      if (this.state === 'RUNNING') {
        if (opts.wild) return false;
        throw new VmStateError('vm is already running');
      }
      if (this.state === 'QUIT' || this.state === 'ERROR') {
        if (opts.wild) return false;
        delete this.config.tags.error;
        const err = await this.#launch(opts.signal);
        if (err) throw new VmStateError(`unable to start: ${err}`);
      }
      const run = this.#run;
      if (!run)
        throw new VmStateError(await this.#setError('unstartable: container is not running'));
      try {
        await run.cgroup.thaw();
        if (!run.started) {
          run.started = true;
          await run.go.write('\n');
        }
      } catch (err) {
        throw new VmStateError(
          await this.#setError(`unstartable: freezer: ${(err as Error).message}`),
        );
      }
      await this.#setState('RUNNING');
      return true;
    });
  }

  /** Freezes a RUNNING container. Returns false when not applicable. */
  stop(): Promise<boolean> {
    return this.#lock.run(async () => {
      if (this.state !== 'RUNNING' || !this.#run) return false;
      try {
        await this.#run.cgroup.freeze();
      } catch (err) {
        throw new VmStateError(
          await this.#setError(`unstoppable: freezer: ${(err as Error).message}`),
        );
      }
      await this.#setState('PAUSED');
      return true;
    });
  }

  /** Kills every process of the container and releases its cgroups, veths and console. */
  kill(): Promise<boolean> {
    return this.#lock.run(async () => {
      if (!isKillable(this.state)) return false;
      const run = this.#run;
      this.#run = undefined;
      if (run) {
        run.killing = true;
        await this.#release(run);
      }
      await this.#setState('QUIT');
      return true;
    });
  }

  /** Unmounts the overlay and removes the instance dir (QUIT/ERROR only). */
  flush(): Promise<void> {
    return this.#lock.run(async () => {
      if (isKillable(this.state)) throw new VmStateError(`cannot flush a ${this.state} vm`);
      const o = this.#plan?.overlay;
      if (o && this.#overlayMounted) {
        for (let i = 0; ; i++) {
          const r = await execa('umount', [o.target], { reject: false });
          if (r.exitCode === 0 || !isMounted(await readFile('/proc/self/mounts', 'utf8'), o.target))
            break;
          if (i >= 20) throw new VmStateError(`overlay unmount: ${String(r.stderr).trim()}`);
          await sleep(100);
        }
        this.#overlayMounted = false;
      }
      const alias = this.#aliasPath();
      await unlink(alias).catch(() => {});
      await rmdir(dirname(alias)).catch(() => {});
      await rmdir(dirname(dirname(alias))).catch(() => {});
      await chmod(join(this.instanceDir, 'uuid'), 0o600).catch(() => {});
      await rm(this.instanceDir, { recursive: true, force: true });
    });
  }
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

function isMounted(mounts: string, target: string): boolean {
  return mounts.split('\n').some((l) => l.split(' ')[1] === target);
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
