// The seam between a VM's lifecycle and what runs it: the real driver starts
// QEMU (qemu-driver.ts), the fake one simulates it for fast tests.
import type { Accel } from './argv.js';
import type { VmConfig } from './config.js';
import type { ProcFigures } from './host/top.js';
import type { NicAttacher } from './host/types.js';
import type { QmpEvent, QmpReply } from './qmp.js';

/** How a QEMU process ended. */
export interface VmExit {
  /** true when we asked for it (kill) or QEMU quit cleanly; false = crash */
  expected: boolean;
  /** human-readable reason (`qemu killed by SIGKILL`, exit code, stderr tail) */
  reason: string;
}

/** The QMP operations the lifecycle uses. */
export interface VmMonitor {
  execute(command: string, args?: Record<string, unknown>): Promise<unknown>;
  raw(msg: Record<string, unknown>): Promise<QmpReply>;
  hmp(commandLine: string): Promise<string>;
  /** QMP's asynchronous events (QmpClient has them; a fake may not) */
  readonly events?: {
    on(name: 'event', fn: (ev: QmpEvent) => void): unknown;
    off(name: 'event', fn: (ev: QmpEvent) => void): unknown;
  };
}

/**
 * One VM process, started paused: QEMU (a QMP `monitor`), or a container
 * (no monitor; `resume`/`pause` through its freezer). Optional members are
 * capabilities a type may lack.
 */
export interface VmProcess {
  readonly pid: number;
  /** QMP (kvm); absent when the type has none */
  readonly monitor?: VmMonitor;
  /** runs a paused process (default: QMP `cont`) */
  resume?(signal?: AbortSignal): Promise<void>;
  /** pauses a running process (default: QMP `stop`) */
  pause?(signal?: AbortSignal): Promise<void>;
  /** PNG of the screen scaled to fit max x max (default: QMP screendump) */
  screenshot?(max: number): Promise<Buffer>;
  /** what its processes use now, by pid (`vm top`; default: /proc of pid and its descendants) */
  usage?(): Promise<Map<number, ProcFigures>>;
  /**
   * `true`: the guest's vCPUs yield the CPU to everything else (a `vm start`
   * of many VMs: every QEMU answers its `cont` before the guests already
   * started take the CPU from its main loop); `false`: their usual priority
   * back. Best effort, synchronous (QEMU only).
   */
  background?(on: boolean): void;
  /** a console socket path (containers) */
  readonly console?: string;
  /** the console's TCP port (containers; 0 = none) */
  readonly consolePort?: number;
  /** resolves once the process is gone */
  readonly exited: Promise<VmExit>;
  /** SIGKILL and wait for exit */
  kill(): Promise<void>;
  /** the argv it was started with (binary first) */
  readonly argv: readonly string[];
}

export interface StartVmOptions {
  id: number;
  /** the VM's name and namespace (containers use them for hostnames, cgroups) */
  name?: string;
  namespace?: string;
  config: VmConfig;
  /** `<base>/<id>`, already created */
  instanceDir: string;
  signal?: AbortSignal;
  /** the host's NIC side, for drivers that attach NICs themselves (`ownsNics`) */
  nics?: NicAttacher;
}

export interface VmDriver {
  /**
   * true: the driver makes the NICs' host side itself once its process
   * exists (containers: veth pairs via `nics.attachVeth`, filling each
   * NIC's `tap`); false/absent: the host makes taps before start (QEMU).
   */
  readonly ownsNics?: boolean;
  /** starts QEMU paused (-S) and connects QMP; rejects with QemuStartError */
  start(opts: StartVmOptions): Promise<VmProcess>;
  /** creates the qcow2 overlay for a disk (snapshot mode) */
  createOverlay?(opts: { backing: string; overlay: string; signal?: AbortSignal }): Promise<void>;
  /** the accelerator it uses (resolved from auto; QEMU only) */
  accel?(): Promise<Accel>;
  /**
   * takes over a VM process a previous daemon started (`-recover`): the
   * process keeps running; rejects when it cannot (the VM is then killed)
   */
  reattach?(opts: {
    id: number;
    pid: number;
    config: VmConfig;
    instanceDir: string;
    signal?: AbortSignal;
    /** the host's NIC side (drivers that own their NICs remove them when the VM goes) */
    nics?: NicAttacher;
  }): Promise<VmProcess>;
  /** releases what the driver holds (its process supervisor); VMs must be killed first */
  close?(): Promise<void>;
}
