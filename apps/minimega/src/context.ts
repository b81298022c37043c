// What every command module receives. The daemon core builds one Daemon and
// passes it to each module's `register(daemon)`; modules keep their own state
// and hook into clear-all and shutdown instead of editing the core.
import type { Cli } from '@mm/cli-grammar';
import type { Launcher, NamespaceManager, VmCluster } from '@mm/namespace';
import type { Captures, HostNetwork } from '@mm/ovs';
import type { LocalVmHost } from '@mm/qemu';
import type { MeshService } from './commands/mesh/service.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface Logger {
  debug(msg: string, ...args: unknown[]): void;
  info(msg: string, ...args: unknown[]): void;
  warn(msg: string, ...args: unknown[]): void;
  error(msg: string, ...args: unknown[]): void;
  level: LogLevel;
}

/** Parsed daemon flags (daemon.md §1); names as the Go flags. */
export interface DaemonFlags {
  base: string;
  filepath: string;
  degree: number;
  msa: number;
  broadcast: string;
  port: number;
  context: string;
  vlanrange: string;
  force: boolean;
  recover: boolean;
  nostdin: boolean;
  level: LogLevel;
  verbose: boolean;
  logfile: string;
  /** our additions */
  accel: 'auto' | 'kvm' | 'tcg';
  meshkey: string;
  /** -meshmaxnodes: the mesh's node limit */
  meshmaxnodes: number;
  /** any flag a module wants to read (unknown-to-core flags are kept here) */
  [extra: string]: unknown;
}

/**
 * The seam between VM commands (they own `vm config net` and launch) and the
 * networking module: this host's networking state (@mm/ovs HostNetwork: OVS,
 * VLAN aliases, taps; a NicAttacher for @mm/qemu). The networking module
 * sets `daemon.services.networking`; the VM module calls it.
 */
export type VmNetworking = HostNetwork;

/** VM figures for `host` (daemon.md §6); the VM module provides them. */
export interface VmStats {
  /** VMs on this host (all namespaces) */
  vms: number;
  /** scheduler VM limit for this host (0 = none) */
  vmlimit?: number;
  /** total vCPUs committed */
  cpucommit: number;
  /** total memory committed, MB */
  memcommit: number;
  /** total NICs committed */
  netcommit: number;
  /** android VMs (none here; kept for the column) */
  androidvms?: number;
}

/**
 * Fetches files for the `file:` and `http(s):` argument prefixes
 * (iomeshage.md §9). Set by the iomeshage module; without it only files
 * already under -filepath are found.
 */
export interface FileFetcher {
  /** make `<filepath>/<rel>` present locally (from the mesh); returns its absolute path */
  get(rel: string, env: { signal?: AbortSignal; status?: (msg: string) => void }): Promise<string>;
  /** `tar:<rel>`: fetch the tarball and untar it once (one top-level directory); that directory */
  tar?(rel: string, env: { signal?: AbortSignal; status?: (msg: string) => void }): Promise<string>;
  /** `http(s)://`: `<filepath>/<url path>` from the mesh if a node has it, else downloaded there */
  url?(url: URL, env: { signal?: AbortSignal; status?: (msg: string) => void }): Promise<string>;
  /** completion of `file:<prefix>` across the mesh: relative names, directories ending in `/` */
  complete?(prefix: string): Promise<string[]>;
}

/** Services one module provides to others; set during registration. */
export interface DaemonServices {
  networking?: VmNetworking;
  /** this node's pcap captures (the networking module; served to the mesh by the cluster module) */
  captures?: Captures;
  /** the mesh, when the meshage module runs */
  mesh?: MeshService;
  /** this node's VMs (the VM module) */
  vmHost?: LocalVmHost;
  /** -recover: VLAN aliases, bridges, host taps and these VM taps back from <base> (networking module) */
  recoverNetworking?: HostNetwork['recover'];
  /** VMs across a namespace's hosts (the VM module; remote hosts once the mesh runs) */
  cluster?: VmCluster;
  /** namespace launch queues and scheduler runs (the VM module) */
  launcher?: Launcher;
  /** VM counts and commitments for `host` */
  vmStats?: () => VmStats;
  /** tap bandwidth in MB/s for `host` (networking module) */
  bandwidth?: () => { rx: number; tx: number };
  /** file fetching for argument prefixes (iomeshage module) */
  files?: FileFetcher;
}

/** what a `clear all` hook learns of the command that runs it */
export interface ClearAllContext {
  /** the command's source: '' when a user typed it here (minimega fans out only then) */
  source: string;
  signal?: AbortSignal;
}

export interface Daemon {
  readonly services: DaemonServices;
  readonly hostname: string;
  readonly flags: DaemonFlags;
  readonly cli: Cli;
  readonly log: Logger;
  readonly namespaces: NamespaceManager;
  /** register work for `clear all` (run in registration order) */
  onClearAll(name: string, fn: (ctx: ClearAllContext) => void | Promise<void>): void;
  /** register teardown for shutdown (run in reverse registration order) */
  onShutdown(name: string, fn: () => void | Promise<void>): void;
  /** stop the daemon (as `quit`), running every shutdown hook once */
  shutdown(reason: string): Promise<void>;
  /**
   * run every shutdown hook once without stopping yet (`nuke` tears the
   * daemon's own VMs and networking down, sweeps, answers, then stops)
   */
  teardown(reason: string): Promise<void>;
}

/** A command module: registers handlers on daemon.cli and keeps its own state. */
export type CommandModule = (daemon: Daemon) => void | Promise<void>;
