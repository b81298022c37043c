// One KVM VM and its lifecycle (vm-qemu.md §6): BUILDING (paused at -S) ->
// RUNNING <-> PAUSED, kill -> QUIT, crash/failure -> ERROR (with the reason
// in the `error` tag), flush removes it. Operations on one VM are serialized.

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, rmdir, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { VmConfig } from './config.js';
import type { VmDriver, VmMonitor, VmProcess } from './driver.js';
import { QmpCommandError, VmCommandError, VmStateError } from './errors.js';
import { type ProcSample, sampleProcTree } from './host/top.js';
import type { NicAttacher, SaveTarget } from './host/types.js';
import type { NetConfig } from './netspec.js';
import { ppmToPng } from './png.js';
import type { QmpEvent } from './qmp.js';
import { tracePhase, tracing } from './trace.js';
import { startVncShim, type VncShim } from './vnc.js';

export type VmState = 'BUILDING' | 'RUNNING' | 'PAUSED' | 'QUIT' | 'ERROR';

export function isKillable(s: VmState): boolean {
  return s === 'BUILDING' || s === 'RUNNING' || s === 'PAUSED';
}

export interface KvmVmOptions {
  id: number;
  name: string;
  namespace: string;
  host: string;
  /** the VM's own copy of the config (uuid, MACs and taps filled in) */
  config: VmConfig;
  /** `-base`: the instance dir is `<base>/<id>` */
  baseDir: string;
  /** `-filepath`: overlays of disks outside it only log a warning */
  filesDir: string;
  driver: VmDriver;
  /** passed to drivers that attach NICs themselves */
  nics?: NicAttacher;
  /** the VM type the driver runs (default kvm) */
  type?: 'kvm' | 'container';
  /** when it was launched (ms since the epoch; default now; -recover keeps the old one) */
  launchTime?: number;
  /** told after every state change (the host writes vm.json) */
  onChange?: () => void;
  /** while it returns a promise, the `state` file waits for it (the host's WriteGate) */
  writesHeld?: () => Promise<void> | undefined;
  /** where the VNC shim listens (default 127.0.0.1); false = no shim */
  vncHost?: string | false;
  log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
}

class Mutex {
  #tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(fn, fn);
    this.#tail = next.catch(() => {});
    return next;
  }
}

/**
 * The state a re-adopted VM is in: what its QEMU says (`query-status`), as
 * the record is written just after each change and a crash in between leaves
 * it one change behind; the recorded state when QEMU cannot tell.
 */
async function runState(
  proc: VmProcess,
  recorded: 'BUILDING' | 'RUNNING' | 'PAUSED',
): Promise<'BUILDING' | 'RUNNING' | 'PAUSED'> {
  if (!proc.monitor) return recorded;
  try {
    const r = (await proc.monitor.execute('query-status')) as { status?: string } | undefined;
    if (r?.status === 'running') return 'RUNNING';
    if (r?.status === 'prelaunch') return 'BUILDING';
    if (r?.status === 'paused') return 'PAUSED';
  } catch {
    // no answer: keep the record's word
  }
  return recorded;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/** `'...'` for /bin/sh: nothing inside single quotes is special but the quote itself */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** the longest `vm start` waits for QEMU to load a saved state */
const STATE_LOAD_MS = 10 * 60_000;

export class KvmVm {
  readonly id: number;
  readonly name: string;
  readonly namespace: string;
  readonly host: string;
  readonly config: VmConfig;
  readonly instanceDir: string;
  readonly launchTime: number;
  readonly type: 'kvm' | 'container';
  state: VmState = 'BUILDING';
  pid = 0;
  /** the VNC shim's TCP port (0 when none) */
  vncPort = 0;
  #vnc: VncShim | undefined;
  ccActive = false;
  /** hotplugged USB disks: id -> file, version */
  readonly hotplug = new Map<number, { file: string; version: string }>();
  #proc: VmProcess | undefined;
  #lock = new Mutex();
  #opts: KvmVmOptions;
  #launched = false;
  #changed: Array<() => void> = [];

  constructor(opts: KvmVmOptions) {
    this.#opts = opts;
    this.id = opts.id;
    this.name = opts.name;
    this.namespace = opts.namespace;
    this.host = opts.host;
    this.config = opts.config;
    this.instanceDir = join(opts.baseDir, String(opts.id));
    this.type = opts.type ?? 'kvm';
    this.launchTime = opts.launchTime ?? Date.now();
  }

  /** the process's QMP socket, when it has one */
  get qmpPath(): string | undefined {
    return this.#proc?.monitor ? join(this.instanceDir, 'qmp') : undefined;
  }

  /** the process's console socket, when it has one */
  get consolePath(): string | undefined {
    return this.#proc?.console;
  }

  /** the console's TCP port (containers; 0 when none) */
  get consolePort(): number {
    return this.#proc?.consolePort ?? 0;
  }

  /** whether a process runs (and so QMP/console work) */
  get hasProcess(): boolean {
    return this.#proc !== undefined;
  }

  get tags(): Record<string, string> {
    return this.config.tags;
  }

  /** the process argv once launched */
  get argv(): readonly string[] {
    return this.#proc?.argv ?? [];
  }

  #log(level: 'info' | 'warn' | 'error', msg: string): void {
    this.#opts.log?.(level, `vm ${this.id} (${this.name}): ${msg}`);
  }

  /** resolves once the next state change is written to the instance dir (tests, waiting for a crash to be noticed) */
  nextChange(): Promise<void> {
    return new Promise((r) => this.#changed.push(r));
  }

  /**
   * The instance's `state` file (minimega's, for outside tools; `-recover`
   * reads the host's vm.json instead) is written behind the state change, in
   * order, never awaited by the operation: `vm start all` answers once every
   * QMP `cont` did, not after 50 more file writes.
   */
  #stateWrites: Promise<void> = Promise.resolve();

  /** resolves once the `state` file of every change so far is on disk */
  settled(): Promise<void> {
    return this.#stateWrites;
  }

  #setState(s: VmState): void {
    this.state = s;
    const w = this.#changed;
    this.#changed = [];
    this.#stateWrites = this.#stateWrites.then(async () => {
      await this.#opts.writesHeld?.();
      await writeFile(join(this.instanceDir, 'state'), s).catch(() => {});
      tracePhase(this.id, s, 'state-file');
      for (const fn of w) fn();
    });
    this.#opts.onChange?.();
  }

  #setError(msg: string): string {
    this.config.tags.error = msg;
    this.#log('error', msg);
    this.#setState('ERROR');
    return msg;
  }

  #aliasPath(): string {
    return join(this.#opts.baseDir, 'namespaces', this.namespace, this.config.uuid);
  }

  /** aborts the launch in progress: `kill` stops a VM that is still starting */
  #launchAbort: AbortController | undefined;

  /**
   * Launches QEMU paused. Resolves with '' or the error message (the VM is
   * then in ERROR). A VM killed before its turn in a big launch is not
   * started at all; one killed while starting has its start aborted.
   */
  launch(signal?: AbortSignal): Promise<string> {
    // set before waiting for the lock, so a kill that comes first aborts it too
    const ac = new AbortController();
    this.#launchAbort = ac;
    return this.#lock.run(async () => {
      if (this.state !== 'BUILDING' || ac.signal.aborted) {
        if (this.#launchAbort === ac) this.#launchAbort = undefined;
        return '';
      }
      // not AbortSignal.any: on Node 20 its signal can be collected before it fires
      const follow = () => ac.abort(signal?.reason);
      if (signal?.aborted) follow();
      else signal?.addEventListener('abort', follow, { once: true });
      try {
        const err = await this.#launch(ac.signal);
        if (err && ac.signal.aborted && !signal?.aborted) {
          // killed while starting: QUIT, as a kill of a started VM leaves it
          delete this.config.tags.error;
          this.#setState('QUIT');
          return '';
        }
        return err;
      } finally {
        if (this.#launchAbort === ac) this.#launchAbort = undefined;
        signal?.removeEventListener('abort', follow);
      }
    });
  }

  async #launch(signal?: AbortSignal): Promise<string> {
    if (!this.#launched) {
      this.#launched = true;
      try {
        await mkdir(this.instanceDir, { recursive: true, mode: 0o700 });
      } catch (err) {
        return this.#setError(`unable to create VM dir: ${(err as Error).message}`);
      }
      if (this.config.snapshot) {
        for (const [i, d] of this.config.disks.entries()) {
          const overlay = join(this.instanceDir, `disk-${i}.qcow2`);
          if (relative(this.#opts.filesDir, d.path).startsWith('..')) {
            this.#log('warn', `snapshot of a disk outside the files dir: ${d.path}`);
          }
          try {
            const createOverlay = this.#opts.driver.createOverlay;
            if (!createOverlay) throw new VmCommandError(`${this.type} VMs have no disk snapshots`);
            await createOverlay({
              backing: relative(this.instanceDir, d.path),
              overlay,
              signal,
            });
            d.snapshotPath = overlay;
          } catch (err) {
            return this.#setError(`unable to snapshot ${d.path}: ${(err as Error).message}`);
          }
        }
      }
      try {
        const alias = this.#aliasPath();
        await mkdir(dirname(alias), { recursive: true, mode: 0o700 });
        await symlink(this.instanceDir, alias);
      } catch (err) {
        return this.#setError(`createInstancePathAlias: ${(err as Error).message}`);
      }
    }
    await writeFile(join(this.instanceDir, 'name'), this.name);
    await writeFile(
      join(this.instanceDir, 'taps'),
      this.config.networks.map((n) => n.tap).join('\n'),
    );
    // cancelled (client gone, `vm kill`) while the instance dir was made: start nothing
    if (signal?.aborted) return this.#setError('launch cancelled');
    let proc: VmProcess;
    try {
      proc = await this.#opts.driver.start({
        id: this.id,
        name: this.name,
        namespace: this.namespace,
        config: this.config,
        instanceDir: this.instanceDir,
        signal,
        ...(this.#opts.nics ? { nics: this.#opts.nics } : {}),
      });
    } catch (err) {
      return this.#setError((err as Error).message);
    }
    return this.#attach(proc);
  }

  /** Takes `proc` as this VM's process: VNC shim, exit watcher. '' or the error (VM in ERROR). */
  async #attach(proc: VmProcess): Promise<string> {
    this.#proc = proc;
    this.pid = proc.pid;
    if (this.#opts.vncHost !== false && proc.monitor) {
      try {
        this.#vnc = await startVncShim({
          unixPath: join(this.instanceDir, 'vnc'),
          host: this.#opts.vncHost,
        });
        this.vncPort = this.#vnc.port;
      } catch (err) {
        await proc.kill();
        this.#proc = undefined;
        return this.#setError(`unable to connect to vnc shim: ${(err as Error).message}`);
      }
    }
    const vnc = this.#vnc;
    void proc.exited.then((exit) =>
      this.#lock.run(async () => {
        await vnc?.close();
        if (this.#proc !== proc) return;
        this.#proc = undefined;
        if (!isKillable(this.state)) return;
        if (exit.expected) this.#setState('QUIT');
        else this.#setError(exit.reason);
      }),
    );
    return '';
  }

  /**
   * `-recover`: takes over a process a previous daemon started for this VM
   * (already running, in `state`); nothing is created or launched. Resolves
   * with '' or the error (the VM is then in ERROR and `proc` killed).
   */
  adopt(proc: VmProcess, state: 'BUILDING' | 'RUNNING' | 'PAUSED'): Promise<string> {
    return this.#lock.run(async () => {
      this.#launched = true;
      this.state = state;
      const err = await this.#attach(proc);
      if (!err) this.#setState(await runState(proc, state));
      return err;
    });
  }

  /** `-recover`: a VM whose process is gone stays listed, QUIT or ERROR with the reason. */
  restoreStopped(state: 'QUIT' | 'ERROR', reason: string): Promise<void> {
    return this.#lock.run(async () => {
      this.#launched = true;
      if (state === 'ERROR') this.#setError(reason);
      else this.#setState('QUIT');
    });
  }

  /**
   * Starts (QMP cont). QUIT/ERROR VMs are relaunched unless `wild`; a running
   * VM is skipped when `wild`, else an error. Returns false when skipped.
   */
  start(opts: { wild: boolean; signal?: AbortSignal }): Promise<boolean> {
    tracePhase(this.id, 'start', 'called');
    return this.#lock.run(async () => {
      tracePhase(this.id, 'start', 'locked');
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
      try {
        const proc = this.#proc;
        if (proc?.resume) await proc.resume(opts.signal);
        else {
          // booting from a saved state: QEMU loads it first ('inmigrate'), and a
          // `cont` then would be lost when the state was saved paused (minimega's
          // launch.mm slept 10 s and stopped/started again); wait for the load
          if (this.config.state) await this.#loadedState(opts.signal);
          await this.#runTraced('start', 'cont', 'RESUME');
        }
      } catch (err) {
        const msg = this.#setError(`unable to start: ${(err as Error).message}`);
        throw new VmStateError(msg);
      }
      this.#setState('RUNNING');
      return true;
    });
  }

  /**
   * While `on`, a paused guest's vCPUs yield the CPU to everything else: a
   * host starting many VMs sets it on all of them before the first `cont`
   * and clears it once the last answered, so no QEMU's main loop waits for
   * its `cont` behind guests that started before it. A running guest is
   * left alone. Best effort (QEMU only).
   */
  background(on: boolean): void {
    if (on && this.state === 'RUNNING') return;
    this.#proc?.background?.(on);
  }

  /** Waits while QEMU loads an incoming state (`-incoming`); a failed load shows as QEMU exiting. */
  async #loadedState(signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + STATE_LOAD_MS;
    for (;;) {
      const r = (await this.#monitor().execute('query-status')) as { status?: string };
      if (r?.status !== 'inmigrate') return;
      if (Date.now() > deadline)
        throw new VmCommandError(
          `state ${this.config.state} still loading after ${STATE_LOAD_MS / 1000} s`,
        );
      await sleep(100, undefined, signal ? { signal } : {});
    }
  }

  /** Pauses a RUNNING VM (QMP stop). Returns false when not applicable. */
  stop(signal?: AbortSignal): Promise<boolean> {
    tracePhase(this.id, 'stop', 'called');
    return this.#lock.run(async () => {
      tracePhase(this.id, 'stop', 'locked');
      if (this.state !== 'RUNNING') return false;
      try {
        const proc = this.#proc;
        if (proc?.pause) await proc.pause(signal);
        else {
          await this.#runTraced('stop', 'stop', 'STOP');
        }
      } catch {
        throw new VmStateError(this.#setError(`unstoppable: ${this.id}`));
      }
      this.#setState('PAUSED');
      return true;
    });
  }

  /** Kills QEMU; resolves once the VM is QUIT. Returns false when not killable. */
  kill(): Promise<boolean> {
    const starting = this.#launchAbort;
    starting?.abort(new Error('killed'));
    tracePhase(this.id, 'kill', 'called');
    return this.#lock.run(async () => {
      tracePhase(this.id, 'kill', 'locked');
      if (!isKillable(this.state)) return starting !== undefined;
      const proc = this.#proc;
      this.#proc = undefined;
      if (proc) await proc.kill();
      tracePhase(this.id, 'kill', 'exited');
      await this.#vnc?.close();
      this.#vnc = undefined;
      tracePhase(this.id, 'kill', 'vnc-closed');
      this.#setState('QUIT');
      return true;
    });
  }

  /** Removes the instance dir and namespace alias (QUIT/ERROR only; taps are the caller's). */
  flush(): Promise<void> {
    return this.#lock.run(async () => {
      if (isKillable(this.state)) throw new VmStateError(`cannot flush a ${this.state} vm`);
      // a `state` write still pending would recreate a file in the dir being removed
      await this.#stateWrites;
      const alias = this.#aliasPath();
      await unlink(alias).catch(() => {});
      await rmdir(dirname(alias)).catch(() => {});
      await rmdir(dirname(dirname(alias))).catch(() => {});
      await rm(this.instanceDir, { recursive: true, force: true });
    });
  }

  /** its process can say whether it runs (QMP `query-status`): `-recover` need not trust the record for that */
  get reportsRunState(): boolean {
    return this.#proc?.monitor !== undefined;
  }

  /**
   * QMP `command` with its phases traced: sent, run by QEMU (the timestamp
   * QEMU gives its `event`: when its main loop got to it, however late the
   * daemon reads the reply), reply read.
   */
  async #runTraced(op: string, command: string, event: string): Promise<void> {
    const m = this.#monitor();
    const events = tracing() ? m.events : undefined;
    const ran = (ev: QmpEvent) => {
      if (ev.event !== event || !ev.timestamp) return;
      const t = ev.timestamp.seconds * 1000 + ev.timestamp.microseconds / 1000;
      tracePhase(this.id, op, 'qemu-ran', t);
    };
    events?.on('event', ran);
    tracePhase(this.id, op, `${command}-sent`);
    try {
      await m.execute(command);
    } finally {
      events?.off('event', ran);
    }
    tracePhase(this.id, op, `${command}-reply`);
  }

  #monitor() {
    if (!this.#proc) throw new VmStateError(`vm not running: ${this.id}`);
    const m = this.#proc.monitor;
    if (!m) throw new VmCommandError(`not supported for ${this.type} VMs`);
    return m;
  }

  /** `vm qmp`: sends raw JSON, returns the reply re-encoded; a QMP error is `received nil status: <class>: <desc>`. */
  async qmp(json: string): Promise<string> {
    let msg: unknown;
    try {
      msg = JSON.parse(json);
    } catch (err) {
      throw new VmCommandError(`invalid JSON: ${(err as Error).message}`);
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      throw new VmCommandError('invalid JSON: expected an object');
    }
    const r = await this.#monitor().raw(msg as Record<string, unknown>);
    if (!('return' in r)) {
      // minimega says only `received nil status`; keep those words and add
      // QEMU's own reason so the user learns what was wrong
      const why = 'error' in r ? `: ${r.error.class}: ${r.error.desc}` : '';
      throw new VmCommandError(`received nil status${why}`);
    }
    // Go re-encodes through a map: keys come out sorted
    return JSON.stringify({ return: sortKeys(r.return) });
  }

  /** `vm screenshot`: PNG bytes scaled to fit max x max (0 = full size). */
  async screenshot(max: number): Promise<Buffer> {
    if (this.state !== 'RUNNING') throw new VmStateError(`vm not running: ${this.id}`);
    if (this.#proc?.screenshot) {
      const png = await this.#proc.screenshot(max);
      await writeFile(join(this.instanceDir, 'screenshot.png'), png);
      return png;
    }
    const tmp = join(tmpdir(), `minimega_screenshot_${randomBytes(6).toString('hex')}`);
    try {
      await this.#monitor().execute('screendump', { filename: tmp });
      const ppm = await readFile(tmp);
      const png = ppmToPng(ppm, max);
      await writeFile(join(this.instanceDir, 'screenshot.png'), png);
      return png;
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** `vm cdrom eject`: errors are discarded as minimega does (sharp edge 4). */
  async cdromEject(force: boolean): Promise<void> {
    try {
      await this.#monitor().execute('eject', { device: 'ide0-cd0', force });
    } catch {
      // minimega discards eject errors
    }
    this.config.cdrom = '';
  }

  /** `vm cdrom change`: the file must exist as given. */
  async cdromChange(path: string, force: boolean): Promise<void> {
    await stat(path);
    if (this.config.cdrom !== '') {
      try {
        await this.#monitor().execute('eject', { device: 'ide0-cd0', force });
      } catch (err) {
        throw new VmCommandError(`eject failed: ${(err as Error).message}`);
      }
    }
    try {
      await this.#monitor().execute('blockdev-change-medium', {
        device: 'ide0-cd0',
        filename: path,
      });
    } catch (err) {
      throw new VmCommandError(`change failed: ${(err as Error).message}`);
    }
    this.config.cdrom = path;
  }

  /** `vm hotplug add`: a USB storage device from `file`; returns its id. Monitor replies are checked. */
  async hotplugAdd(file: string, version: string, serial: string): Promise<number> {
    await stat(file);
    let bus: string;
    if (version === '' || version === '1.1') bus = 'usb-bus.0';
    else if (version === '2.0') bus = this.config.usbUseXhci ? 'xhci.0' : 'ehci.0';
    else if (version === '3.0') {
      if (!this.config.usbUseXhci)
        throw new VmCommandError('invalid version: `3.0`. VM configured for EHCI instead of XHCI');
      bus = 'xhci.0';
    } else throw new VmCommandError(`invalid version: \`${version}\``);
    const id = this.hotplug.size === 0 ? 0 : Math.max(...this.hotplug.keys()) + 1;
    const m = this.#monitor();
    const attach = async (extra: string): Promise<string> => {
      const r1 = await m.hmp(`drive_add 0 id=hotplug${id},if=none,file=${file}${extra}`);
      if (/error|could not|failed|duplicate/i.test(r1))
        throw new VmCommandError(`drive_add: ${r1.trim()}`);
      const r2 = await m.hmp(
        `device_add usb-storage,id=hotplug${id},drive=hotplug${id},bus=${bus}${serial ? `,serial=${serial}` : ''}`,
      );
      if (r2.trim() !== '') await m.hmp(`drive_del hotplug${id}`).catch(() => '');
      return r2.trim();
    };
    let err = await attach('');
    // another VM has the image open for writing (`vm hotplug add all IMG`):
    // QEMU's image lock refuses a second writer, so this VM gets it
    // read-only, as every VM got it with minimega (which never checked)
    if (/"write" lock/.test(err)) {
      this.#log('warn', `${file} is in use by another process: hotplugged read-only`);
      err = await attach(',readonly=on,force-share=on');
    }
    if (err !== '') throw new VmCommandError(`device_add: ${err}`);
    this.hotplug.set(id, { file, version: version || '1.1' });
    return id;
  }

  async hotplugRemove(id: number): Promise<void> {
    if (!this.hotplug.has(id)) throw new VmCommandError('no such hotplug device');
    const m = this.#monitor();
    // device_del returns before QEMU finalizes the device; until then the
    // drive id stays taken and the next `hotplug add` (which reuses the
    // lowest free id) would fail, so wait for DEVICE_DELETED
    const deleted = deviceDeleted(m, `hotplug${id}`, HOTPLUG_DEL_MS);
    try {
      await m.hmp(`device_del hotplug${id}`);
      await m.hmp(`drive_del hotplug${id}`);
      this.hotplug.delete(id);
      await deleted.done;
    } finally {
      deleted.cancel();
    }
  }

  /**
   * `vm save`: pauses the VM, backs up the snapshot overlays (in the
   * instance dir) of disk 0 to `target.disk` and of disk i to
   * `target.disk.<i>` (minimega's suffixes accumulated: .hdd.1.2) waiting for
   * each copy, then starts
   * migrating its memory to `target.state` (asynchronous: see
   * migrateStatus). Pausing first makes disk and memory one moment in time
   * (minimega copied the disk of a running VM, then its memory later).
   */
  async save(target: SaveTarget, signal?: AbortSignal): Promise<void> {
    const m = this.#monitor();
    if (target.disk) await mkdir(dirname(target.disk), { recursive: true });
    await mkdir(dirname(target.state), { recursive: true });
    await this.#lock.run(async () => {
      if (this.state === 'RUNNING') await m.execute('stop');
      if (isKillable(this.state)) this.#setState('PAUSED');
    });
    const blocks = target.disk
      ? ((await m.execute('query-block')) as Array<{
          device: string;
          inserted?: { file?: string };
        }>)
      : [];
    for (const b of blocks ?? []) {
      const file = b.inserted?.file ?? '';
      if (!target.disk || !file.startsWith(`${this.instanceDir}/`)) continue;
      // disk i's overlay is disk-<i>.qcow2: its backup is <disk> for 0, <disk>.<i> after
      const i = Number(/disk-(\d+)\.qcow2$/.exec(file)?.[1] ?? 0);
      const dst = i === 0 ? target.disk : `${target.disk}.${i}`;
      // the overlay names its base relative to the instance dir (`<I>/../files/x`),
      // which stops resolving once the VM is flushed: the backup gets the base's
      // own absolute path, made first, then filled with the overlay's clusters
      const baseDisk = this.config.disks[i]?.path;
      const create = this.#opts.driver.createOverlay;
      if (baseDisk && create) {
        await create({ backing: resolve(baseDisk), overlay: dst, ...(signal ? { signal } : {}) });
        await m.execute('drive-backup', {
          device: b.device,
          sync: 'top',
          target: dst,
          mode: 'existing',
          format: 'qcow2',
        });
      } else await m.execute('drive-backup', { device: b.device, sync: 'top', target: dst });
      for (;;) {
        const jobs = (await m.execute('query-block-jobs')) as unknown[];
        if (!jobs || jobs.length === 0) break;
        await sleep(200, undefined, signal ? { signal } : {});
      }
    }
    signal?.throwIfAborted();
    // `exec:` runs through /bin/sh: the path goes in single quotes, so no
    // character of it is special to the shell (minimega's was unquoted)
    await m.execute('migrate', { uri: `exec:cat > ${shellQuote(target.state)}` });
  }

  /** `vm top`: what the VM's processes use now (none without a process). */
  async sample(): Promise<ProcSample> {
    const proc = this.#proc;
    if (!proc) return { at: performance.now(), procs: new Map() };
    if (proc.usage) return { at: performance.now(), procs: await proc.usage() };
    return sampleProcTree(proc.pid);
  }

  /** `vm save` status: `query-migrate`. */
  async migrateStatus(): Promise<{ status: string; complete: string } | undefined> {
    const r = (await this.#monitor().execute('query-migrate')) as {
      status?: string;
      ram?: { transferred: number; total: number };
    };
    if (!r?.status) return undefined;
    if (r.status === 'completed') return { status: r.status, complete: '100.00' };
    if (r.status === 'failed') return { status: r.status, complete: '' };
    const pct = r.ram && r.ram.total > 0 ? (r.ram.transferred / r.ram.total) * 100 : 0;
    return { status: r.status, complete: pct.toFixed(2) };
  }

  /**
   * `vm net add`: hot-plugs a NIC whose tap already exists (the caller made
   * it). Unlike minimega, the monitor's replies are checked.
   */
  async netAdd(nic: NetConfig): Promise<void> {
    const m = this.#monitor();
    const r1 = await m.hmp(
      `netdev_add type=tap,id=${nic.tap},ifname=${nic.tap},script=no,downscript=no`,
    );
    if (r1.trim() !== '') throw new VmCommandError(`netdev_add: ${r1.trim()}`);
    const r2 = await m.hmp(
      `device_add id=${nic.tap},netdev=${nic.tap},bus=pci.0,driver=${nic.driver},mac=${nic.mac}`,
    );
    if (r2.trim() !== '') {
      await m.hmp(`netdev_del ${nic.tap}`).catch(() => '');
      throw new VmCommandError(`device_add: ${r2.trim()}`);
    }
    this.config.networks.push(nic);
    await writeFile(
      join(this.instanceDir, 'taps'),
      this.config.networks.map((n) => n.tap).join('\n'),
    );
  }

  /** a human-monitor command (text reply) */
  hmp(commandLine: string): Promise<string> {
    return this.#monitor().hmp(commandLine);
  }

  /** raw QMP command (typed errors) for callers that need more */
  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    return this.#monitor().execute(command, args);
  }
}

export { QmpCommandError };

/** How long `vm hotplug remove` waits for QEMU to finalize a USB device. */
const HOTPLUG_DEL_MS = 10_000;

/**
 * Resolves when QEMU reports DEVICE_DELETED for `device`; rejects after
 * `timeoutMs`. Resolves at once when the monitor has no events (fakes).
 */
function deviceDeleted(
  m: VmMonitor,
  device: string,
  timeoutMs: number,
): { done: Promise<void>; cancel(): void } {
  const events = m.events;
  if (!events) return { done: Promise.resolve(), cancel() {} };
  let onEvent: (ev: { event: string; data?: unknown }) => void = () => {};
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<void>((resolve, reject) => {
    onEvent = (ev) => {
      if (ev.event === 'DEVICE_DELETED' && (ev.data as { device?: unknown })?.device === device)
        resolve();
    };
    events.on('event', onEvent);
    timer = setTimeout(
      () => reject(new VmCommandError(`${device} not removed by QEMU after ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
  });
  done.catch(() => {}); // awaited by the caller only after device_del succeeded
  return {
    done,
    cancel() {
      clearTimeout(timer);
      events.off('event', onEvent);
    },
  };
}
