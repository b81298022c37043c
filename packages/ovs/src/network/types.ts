// The host network contract: everything minimega keeps about one host's
// networking — the bridges it manages (and whether they pre-existed), every
// tap on them (VM NICs and host taps, with the namespace each belongs to),
// trunks, tunnels, mirrors, qos, the VLAN alias table and the tap-name
// counter — and the operations on it. All switch work is serialised by one
// lock (minimega's bridge lock). Namespaces are plain strings here: the
// caller decides what a namespace is.
import type { QosSpec, Switch, TunnelType } from '../switch.js';
import type { Alias, VlanRange } from '../vlans/table.js';
import type { SwitchProvider } from './provider.js';

export interface NetLogger {
  info(msg: string): void;
  warn(msg: string): void;
}

/** One tap minimega made (a copy; changing it changes nothing). */
export interface TapInfo {
  name: string;
  /** '' while disconnected */
  bridge: string;
  /** -1 = disconnected */
  vlan: number;
  /** a host tap (`tap create`) rather than a VM NIC */
  host: boolean;
  namespace: string;
  vm?: string;
  mac?: string;
  qos?: QosSpec;
}

export interface BridgeSummary {
  name: string;
  /** the bridge was there before minimega (teardown keeps it) */
  preexisting: boolean;
  /** VLANs of the taps on it */
  vlans: number[];
  trunks: string[];
  tunnels: string[];
  /** `bridge config` keys set on it */
  config: Record<string, string>;
}

export interface MirrorInfo {
  namespace: string;
  bridge: string;
  /** destination tap (the mirror's output port) */
  dst: string;
}

/** A VM NIC's tap named by a crashed daemon's VM record (`-recover`). */
export interface RecoveredTap {
  namespace: string;
  vm: string;
  bridge: string;
  tap: string;
  vlan: number;
  mac: string;
}

export interface NetRecovery {
  aliases: number;
  bridges: string[];
  hostTaps: string[];
  vmTaps: number;
  errors: string[];
}

/** Makes and removes veth pairs (containers); the host end becomes a tap on a bridge. */
export interface VethMaker {
  create(
    spec: { tap: string; peer: string; mac: string; pid: number },
    signal?: AbortSignal,
  ): Promise<void>;
  remove(tap: string): Promise<void>;
}

export interface HostNetworkOptions {
  /** the switch, or a provider that connects on first use */
  switch: Switch | SwitchProvider;
  /** where the state files (`bridges`, `taps`, `vlans`) live; must exist */
  baseDir: string;
  log?: NetLogger;
  /** range new VLAN aliases are allocated from (minimega's -vlanrange) */
  vlanRange?: { min: number; max: number };
  /** told of every newly allocated alias (e.g. to announce it to mesh peers) */
  onAliasCreated?: (alias: Alias, vlan: number) => void;
  /** container NICs; without it attachVeth fails */
  veth?: VethMaker;
  /** bandwidth sampling period (ms; default 5000, 0 = no sampling) */
  bandwidthPeriodMs?: number;
}

export interface OpOptions {
  signal?: AbortSignal;
}

export interface HostNetwork extends AsyncDisposable {
  // ── VLANs (namespace-scoped aliases) ──
  /** a VLAN word (`100`, `A`, `other//A`) in namespace `ns`, allocating (and persisting) aliases */
  resolveVlan(ns: string, word: string): number;
  /** `A (101)`-style print, or the number; `disconnected` for -1 */
  printVlan(ns: string, vlan: number): string;
  /** the alias word without the number (`A`, `other//A`, or the number); `disconnected` for -1 */
  printAlias(ns: string, vlan: number): string;
  vlanRange(ns: string): VlanRange | undefined;
  /** sets a namespace's range; aliases already inside it are logged as holes */
  setVlanRange(ns: string, min: number, max: number): Promise<void>;
  addVlanAlias(ns: string, alias: string, vlan: number): Promise<void>;
  vlanAliases(ns: string): { alias: string; vlan: number }[];
  blacklistVlan(vlan: number): Promise<void>;
  blacklistedVlans(): number[];
  /** a namespace's aliases (with `prefix`, only those starting with it) and range */
  clearVlans(ns: string, prefix?: string): Promise<void>;
  /** every alias, range and the blacklist */
  clearAllVlans(): Promise<void>;

  // ── bridges ──
  /** creates (or adopts) a bridge; '' is mega_bridge; returns its name */
  ensureBridge(name: string, opts?: OpOptions): Promise<string>;
  bridges(): BridgeSummary[];
  addTrunk(bridge: string, iface: string, opts?: OpOptions): Promise<void>;
  removeTrunk(bridge: string, iface: string, opts?: OpOptions): Promise<void>;
  /** a tunnel port named like a tap (`mega_tapN`); returns the name */
  addTunnel(
    t: { bridge: string; type: TunnelType; remoteIp: string; key?: string },
    opts?: OpOptions,
  ): Promise<string>;
  removeTunnel(bridge: string, port: string, opts?: OpOptions): Promise<void>;
  configureBridge(bridge: string, key: string, value: string, opts?: OpOptions): Promise<void>;
  /** removes every tap, trunk and tunnel of it, then the bridge unless it pre-existed */
  destroyBridge(bridge: string, opts?: OpOptions): Promise<void>;

  // ── host taps and mirrors ──
  /** `tap create`: a host tap in namespace `namespace`; returns its name */
  createHostTap(
    t: {
      namespace: string;
      vlan: string;
      bridge?: string;
      name?: string;
      ip?: string;
      dhcp?: boolean;
    },
    opts?: OpOptions,
  ): Promise<string>;
  /** host taps of a namespace */
  hostTaps(ns: string): TapInfo[];
  /** deletes one host tap of `ns` (or `all` of them) */
  deleteHostTap(ns: string, name: string, opts?: OpOptions): Promise<void>;
  addMirror(
    m: { namespace: string; src: string; dst: string; bridge: string },
    opts?: OpOptions,
  ): Promise<void>;
  mirrors(ns: string): MirrorInfo[];
  /** removes mirrors of `ns` by destination; `strict`: an unknown one is an error */
  removeMirrors(
    ns: string,
    dsts: string[] | 'all',
    strict: boolean,
    opts?: OpOptions,
  ): Promise<void>;
  /** a namespace's mirrors and host taps (`clear tap`, clear namespace) */
  clearNamespaceTaps(ns: string, opts?: OpOptions): Promise<void>;

  // ── VM NICs (@mm/qemu's NicAttacher, structurally) ──
  createTap(o: {
    namespace: string;
    vm: string;
    bridge: string;
    vlan: number;
    mac: string;
    signal?: AbortSignal;
  }): Promise<string>;
  deleteTap(o: { bridge: string; tap: string; signal?: AbortSignal }): Promise<void>;
  connectTap(o: { bridge: string; tap: string; vlan: number; signal?: AbortSignal }): Promise<void>;
  disconnectTap(o: { bridge: string; tap: string; signal?: AbortSignal }): Promise<void>;
  attachVeth(o: {
    namespace: string;
    vm: string;
    bridge: string;
    vlan: number;
    mac: string;
    pid: number;
    peer: string;
    signal?: AbortSignal;
  }): Promise<string>;
  /** the VM taps of namespace `ns`, per VM in NIC (creation) order, detached ones included */
  vmTaps(ns: string): Map<string, TapInfo[]>;
  /** a tap wherever it is */
  tap(name: string): TapInfo | undefined;

  // ── qos ──
  /** applies qos to a VM tap: loss/delay merge, rate replaces them (and back); on failure the tap has none */
  setQos(tap: string, q: QosSpec, opts?: OpOptions): Promise<void>;
  clearQos(tap: string, opts?: OpOptions): Promise<void>;
  /** the qos on a tap as `vm info` prints it (`loss 5 delay 100ms`) */
  tapQos(tap: string): string | undefined;

  // ── lifecycle ──
  /** tap bandwidth into (rx) and out of (tx) the VMs, MB/s */
  bandwidth(): { rx: number; tx: number };
  /** a namespace is gone: its mirrors, host taps and VLAN aliases */
  deleteNamespace(ns: string): Promise<void>;
  /** `clear all`: every mirror, tap, managed bridge and alias */
  clearAll(): Promise<void>;
  /** `-recover`, at start: the VLAN aliases of the `vlans` state file */
  restoreVlans(): Promise<void>;
  /** `-recover`: aliases, bridges, host taps from the state files, and these VM taps */
  recover(vmTaps: RecoveredTap[]): Promise<NetRecovery>;
  /** tears everything down, removes the state files, closes the provider */
  close(): Promise<void>;
}
