// The VmHost seam (contract 3): what one host offers for the VMs it runs,
// in plain data so a remote implementation (over the mesh) can offer the
// same. The local implementation (local-host.ts) owns VMs, ids, instance
// dirs, taps (through a NicAttacher) and state transitions; each VM type
// runs through its own driver ('kvm' = QEMU, 'container' = the container
// lane's driver), plugged in when the host is made.
import type { VmConfig } from '../config.js';
import type { VmDriver } from '../driver.js';
import type { NetConfig } from '../netspec.js';
import type { VmState } from '../vm.js';

export type { VmState };

export type VmType = 'kvm' | 'container';
export const VM_TYPES: readonly VmType[] = ['kvm', 'container'];

/** One NIC's host side, as recorded (contract 4: enough to re-adopt or clean it up). */
export interface VmTap {
  tap: string;
  bridge: string;
  /** -1 = disconnected */
  vlan: number;
  mac: string;
  /** the tap's qos as `vm info` prints it (`loss 5 delay 100ms`), when it has any (list() only) */
  qos?: string;
}

/** One hot-plugged USB disk. */
export interface VmHotplug {
  id: number;
  file: string;
  version: string;
}

/**
 * A VM as plain data: what `vm info` shows, what a remote host returns and
 * what `<instanceDir>/vm.json` holds (written atomically on every change,
 * removed on flush).
 */
export interface VmRecord {
  id: number;
  name: string;
  namespace: string;
  /** the host that runs it (mesh name) */
  host: string;
  type: VmType;
  state: VmState;
  uuid: string;
  /** the VM's process (QEMU, or the container's init); 0 when none */
  pid: number;
  /** when it was launched, ms since the epoch */
  launchTime: number;
  /** `<base>/<id>` on its host */
  instanceDir: string;
  /** its own config: uuid, MACs, taps filled in; tags are config.tags */
  config: VmConfig;
  taps: VmTap[];
  tags: Record<string, string>;
  /** the VNC shim's TCP port on its host (0 when none) */
  vncPort: number;
  /** the console's TCP port on its host (containers; 0 when none) */
  consolePort: number;
  ccActive: boolean;
  hotplug: VmHotplug[];
  /** control sockets on its host, when the type has them */
  sockets: { qmp?: string; vnc?: string; console?: string };
  /** why the VM is in ERROR ('' otherwise) */
  error: string;
}

/** Host-wide figures the scheduler weighs (scheduler.md: cpucommit, memcommit, netcommit). */
export interface HostLoad {
  /** host (mesh) name */
  name: string;
  /** VMs on this host, all namespaces */
  vms: number;
  /** vCPUs of VMs that are not QUIT/ERROR */
  cpucommit: number;
  /** MB of memory of VMs that are not QUIT/ERROR */
  memcommit: number;
  /** NICs of VMs that are not QUIT/ERROR */
  netcommit: number;
  /** host CPUs and memory (MB), for capacity checks */
  cpus: number;
  memtotal: number;
  /** the most VMs this host accepts (0 = no limit) */
  vmlimit: number;
  /** the most memory of live VMs this host accepts, as a multiple of memtotal (0 / absent = no limit) */
  memovercommit?: number;
}

export interface OpOptions {
  signal?: AbortSignal;
}

/**
 * Which VMs an operation applies to: a namespace and the target's entries,
 * range-expanded by the caller (names or ids; `all` anywhere = every VM).
 */
export interface VmSelector {
  namespace: string;
  targets: string[];
}

/** One name and one namespace: operations on exactly one VM. */
export interface VmRef {
  namespace: string;
  name: string;
}

export interface LaunchRequest {
  namespace: string;
  type: VmType;
  /** VM names ('' = unnamed: the host names it vm-N) */
  names: string[];
  /** the config every VM starts from (VLANs already resolved to numbers) */
  config: VmConfig;
}

export interface LaunchResult {
  /** the VMs made (also those that failed: they are in ERROR) */
  records: VmRecord[];
  /** one message per VM that failed */
  errors: string[];
}

export type VmTagOp = { op: 'set'; key: string; value: string } | { op: 'clear'; key: string };

export type VmCdromOp =
  | { op: 'eject'; force: boolean }
  | { op: 'change'; path: string; force: boolean };

export type VmHotplugOp =
  | { op: 'add'; file: string; version: string; serial: string }
  | { op: 'remove'; disk: number | 'all' };

export type VmNetOp =
  /** NICs parsed, VLANs resolved; the host makes their taps and hot-plugs them */
  | { op: 'add'; nics: NetConfig[] }
  /** bridge '' = the NIC's own bridge (else the default) */
  | { op: 'connect'; position: number; vlan: number; alias: string; bridge: string }
  | { op: 'disconnect'; position: number };

export interface SaveStatus {
  id: number;
  name: string;
  /** QMP query-migrate: `active`, `completed`, `failed`, ... */
  status: string;
  /** percent done (`%.2f`), '' when failed */
  complete: string;
}

/**
 * Where `vm save`/`vm migrate`/`vm snapshot` write: the memory state (QMP
 * migrate) and the backup of the first snapshot overlay (further overlays get
 * `.1`, `.2`, ... after it; no `disk` = the state only, `vm migrate`).
 * Absolute paths on the VM's host.
 */
export interface SaveTarget {
  state: string;
  disk?: string;
}

/** What `vm top` shows for one VM, measured from its host over a window. */
export interface VmTopRow {
  id: number;
  name: string;
  namespace: string;
  /** virtual, resident and shared memory of its processes, bytes */
  virt: number;
  res: number;
  shr: number;
  /** host CPU used over the window (1 = one CPU busy) */
  cpu: number;
  /** of which running the guest's vCPUs (KVM; 0 under TCG or for containers) */
  vcpu: number;
  /** total CPU time of its processes, ms */
  cpuTimeMs: number;
  /** processes read (at most 100) */
  procs: number;
  /** MB/s the VM received and sent through its taps over the window */
  rx: number;
  tx: number;
}

/**
 * Target rules (vm-qemu.md §5), the same on every implementation: a single
 * non-wild target that matches nothing throws VmNotFoundError; one where the
 * operation does not apply throws `VM state error: X`; errors of several VMs
 * are joined with newlines (VmTargetError).
 */
export interface VmHost extends AsyncDisposable {
  /** this host's mesh name */
  readonly name: string;
  /** makes VMs, starts them paused (BUILDING); checks names within the namespace on this host */
  launch(req: LaunchRequest, opts?: OpOptions): Promise<LaunchResult>;
  /** VMs of one namespace (or all when namespace is undefined), by id */
  list(q: { namespace?: string; targets?: string[] }, opts?: OpOptions): Promise<VmRecord[]>;
  start(sel: VmSelector, opts?: OpOptions): Promise<void>;
  stop(sel: VmSelector, opts?: OpOptions): Promise<void>;
  kill(sel: VmSelector, opts?: OpOptions): Promise<void>;
  /** removes QUIT/ERROR VMs (taps, instance dir, vm.json) */
  flush(sel: VmSelector, opts?: OpOptions): Promise<void>;
  stats(opts?: OpOptions): Promise<HostLoad>;
  tag(sel: VmSelector, op: VmTagOp, opts?: OpOptions): Promise<void>;
  /** PNG bytes scaled to fit max x max (0 = full size) */
  screenshot(ref: VmRef, max: number, opts?: OpOptions): Promise<Uint8Array>;
  /** raw QMP JSON in, reply JSON out */
  qmp(ref: VmRef, json: string, opts?: OpOptions): Promise<string>;
  cdrom(sel: VmSelector, op: VmCdromOp, opts?: OpOptions): Promise<void>;
  hotplug(sel: VmSelector, op: VmHotplugOp, opts?: OpOptions): Promise<void>;
  net(sel: VmSelector, op: VmNetOp, opts?: OpOptions): Promise<void>;
  /**
   * `vm save`/`vm migrate`/`vm snapshot`: backs up the snapshot overlays to
   * `target.disk` (waiting for the copy), pauses the VM and starts migrating
   * its memory to `target.state`; saveStatus tells when that is done.
   */
  save(ref: VmRef, target: SaveTarget, opts?: OpOptions): Promise<void>;
  /** progress of the state saves of a namespace's VMs (VMs that never saved are left out) */
  saveStatus(namespace: string, opts?: OpOptions): Promise<SaveStatus[]>;
  /**
   * `vm top`: CPU, memory and network use of the VMs that have a process
   * (one namespace, or all when undefined), sampled over `durationMs`.
   */
  top(q: { namespace?: string; durationMs: number }, opts?: OpOptions): Promise<VmTopRow[]>;
  /** kill and flush every VM of a namespace (clear namespace) */
  destroyNamespace(namespace: string, opts?: OpOptions): Promise<void>;
  close(): Promise<void>;
}

/**
 * The host side of a VM's NICs (implemented by @mm/ovs's networking state,
 * structurally: qemu never imports ovs). Creates the tap on the bridge (the
 * bridge too when missing) with the VLAN.
 */
export interface NicAttacher {
  createTap(opts: {
    namespace: string;
    vm: string;
    bridge: string;
    vlan: number;
    mac: string;
    signal?: AbortSignal;
  }): Promise<string>;
  deleteTap(opts: { bridge: string; tap: string; signal?: AbortSignal }): Promise<void>;
  connectTap?(opts: {
    bridge: string;
    tap: string;
    vlan: number;
    signal?: AbortSignal;
  }): Promise<void>;
  disconnectTap?(opts: { bridge: string; tap: string; signal?: AbortSignal }): Promise<void>;
  /** the qos on a tap as `vm info` prints it (`loss 5 delay 100ms`), undefined when none */
  tapQos?(tap: string): string | undefined;
  /**
   * Containers: a veth pair whose peer moves into the process `pid`'s
   * network namespace (named `peer` there); the host end goes on the bridge.
   * Returns the host end's name (removed with deleteTap).
   */
  attachVeth?(opts: {
    namespace: string;
    vm: string;
    bridge: string;
    vlan: number;
    mac: string;
    pid: number;
    peer: string;
    signal?: AbortSignal;
  }): Promise<string>;
}

/**
 * A driver for one VM type. `start` makes the VM's process paused (QEMU at
 * -S; a container frozen before init runs) and returns a VmProcess: pid,
 * `exited`, `kill()`, and either a QMP `monitor` (kvm) or `resume()`/
 * `pause()` (container freezer). Optional capabilities (console,
 * screenshot) are on the process; operations a type lacks fail with
 * VmCommandError naming the type.
 */
export type VmTypeDriver = VmDriver;

export interface LocalVmHostOptions {
  /** this host's mesh name */
  hostname: string;
  /** drivers per VM type; a launch of a type without one fails */
  drivers: Partial<Record<VmType, VmTypeDriver>>;
  /** taps for NICs; without it a launch with NICs fails */
  nics?: NicAttacher;
  /** `-base`: instance dirs are `<base>/<id>` */
  baseDir: string;
  /** `-filepath` */
  filesDir: string;
  /** fetch files named by a config that are not here yet (iomeshage) */
  fetch?: (path: string, opts: OpOptions) => Promise<void>;
  /** most VMs on this host (0 = no limit) */
  vmlimit?: number;
  /**
   * most memory (MB) of live VMs on this host, as a multiple of its MemTotal
   * (0 = no limit); a launch past it is refused before anything starts
   */
  memOvercommit?: number;
  /**
   * Checks a file a client names for a running VM (`hotplug`, `cdrom`)
   * before QEMU opens it, on this host; resolves to the path to hand QEMU
   * or throws why it is refused. Absent: only the file's existence is checked.
   * `disk`: a launch's disks, cdrom, kernel and initrd, checked before any
   * VM starts (a missing file is QEMU's error to give, not a refusal).
   */
  checkFile?: (path: string, use: 'hotplug' | 'cdrom' | 'disk') => Promise<string>;
  /** VMs one launch starts at once (default: 2 per CPU, at least 4) */
  launchParallelism?: number;
  /** where VNC shims listen (default 127.0.0.1; false: none) */
  vncHost?: string | false;
  log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
}
