// The switch contract: everything the daemon asks of Open vSwitch and the
// host's network stack. One real implementation (ovs-vsctl/ovs-ofctl/ip/tc)
// and one in-memory fake implement it; both pass test/switch-compliance.ts.

/** OVS datapath: the kernel module (`system`) or the userspace one (`netdev`). */
export type Datapath = 'system' | 'netdev';

export interface CallOptions {
  signal?: AbortSignal;
}

/**
 * How long a DHCP request waits for a lease by default, ms. dhclient's own
 * limit is 60 s (its config file's `timeout`, no flag): a command waiting on
 * a VLAN without a server would hold its client that long.
 */
export const DHCP_WAIT_MS = 15_000;

/** A VM tap: a kernel tap device attached to a bridge. */
export interface TapSpec {
  bridge: string;
  name: string;
  /** 802.1Q tag; 0 = untagged (access port on no VLAN) */
  vlan: number;
  /** device MTU (unset = the kernel default) */
  mtu?: number;
  /** outer tag for a QinQ (dot1q-tunnel) port */
  qinq?: number;
}

/** A host tap: an OVS internal port the host itself uses (`tap create`). */
export interface HostTapSpec {
  bridge: string;
  name: string;
  vlan: number;
}

export type TunnelType = 'vxlan' | 'gre';

export interface TunnelSpec {
  bridge: string;
  /** port name (minimega uses the tap-name generator: `mega_tapN`) */
  name: string;
  type: TunnelType;
  remoteIp: string;
  /** tunnel key / VNI (`options:key=`) */
  key?: string | number;
  /** extra `options:k=v` (e.g. `dst_port`) */
  options?: Record<string, string>;
}

export interface MirrorSpec {
  bridge: string;
  /** output port; the mirror is named `mirror-<dst>` */
  dst: string;
  /** mirrored port (both directions); absent = the whole bridge */
  src?: string;
}

/** QoS on a tap's egress (traffic into the VM). Rate and loss/delay exclude each other. */
export type QosSpec =
  | { kind: 'rate'; rate: number; unit: 'kbit' | 'mbit' | 'gbit' }
  | { kind: 'netem'; loss?: number; delay?: string };

export type PortKind = 'tap' | 'internal' | 'vxlan' | 'gre' | 'other';

export interface PortInfo {
  name: string;
  /** access VLAN (undefined = untagged / trunk) */
  tag?: number;
  /** interface type as OVS reports it ('' = a system/tap device) */
  type: string;
  kind: PortKind;
  /** interface options (remote_ip, key ...) */
  options: Record<string, string>;
}

export interface MirrorInfo {
  name: string;
  output: string;
  /** undefined = select-all */
  src?: string;
}

export interface BridgeInfo {
  name: string;
  datapath: string;
  /** every port except the bridge's own local port */
  ports: PortInfo[];
  mirrors: MirrorInfo[];
}

export interface Switch {
  /** datapath new bridges get */
  readonly datapath: Datapath;
  /**
   * checks OVS is reachable and configures it: `vlan-limit=2` (QinQ) and, on
   * the netdev datapath, `userspace-tso-enable=true` (guests' offloaded
   * checksums); throws OvsNotRunningError. Call before creating ports.
   */
  check(o?: CallOptions): Promise<void>;

  /** creates the bridge if missing (and brings it up); `created` is false when it pre-existed */
  ensureBridge(name: string, o?: CallOptions): Promise<{ created: boolean }>;
  /** deletes a bridge and all its ports (ovs-vsctl del-br) */
  deleteBridge(name: string, o?: CallOptions): Promise<void>;
  bridges(o?: CallOptions): Promise<string[]>;
  /** a bridge's ports and mirrors, or undefined when it does not exist */
  bridge(name: string, o?: CallOptions): Promise<BridgeInfo | undefined>;
  /** `ovs-vsctl set bridge B key=value` */
  configureBridge(bridge: string, key: string, value: string, o?: CallOptions): Promise<void>;

  /** creates many VM taps in few processes (one `ip -batch`, one `ovs-vsctl`); all or none */
  createTaps(specs: readonly TapSpec[], o?: CallOptions): Promise<void>;
  /** removes taps (ports, from whichever bridge holds them, and devices) in one batch; missing ones are ignored */
  deleteTaps(taps: readonly { bridge: string; name: string }[], o?: CallOptions): Promise<void>;
  /** creates a host tap (internal port, up, promisc) */
  createHostTap(spec: HostTapSpec, o?: CallOptions): Promise<void>;
  /** `ip addr add dev <link> <cidr>` */
  addAddress(link: string, cidr: string, o?: CallOptions): Promise<void>;
  /** addresses on a link, as `ip/len` */
  addresses(link: string, o?: CallOptions): Promise<string[]>;
  /**
   * runs a DHCP client on a link (dhclient, else busybox udhcpc);
   * OvsCommandError without a lease within `timeoutMs` (default DHCP_WAIT_MS)
   */
  requestDhcp(link: string, o?: CallOptions & { timeoutMs?: number }): Promise<void>;
  /** attaches an existing tap to `bridge` with `vlan`, detaching it from any bridge first */
  connectPort(bridge: string, port: string, vlan: number, o?: CallOptions): Promise<void>;

  /** adds a trunk (untagged port carrying every VLAN); PortExistsError when present */
  addTrunk(bridge: string, iface: string, o?: CallOptions): Promise<void>;
  addTunnel(spec: TunnelSpec, o?: CallOptions): Promise<void>;
  /** `del-port`; NoSuchPortError when missing */
  removePort(bridge: string, port: string, o?: CallOptions): Promise<void>;

  addMirror(spec: MirrorSpec, o?: CallOptions): Promise<string>;
  /** removes `mirror-<dst>`; NoSuchMirrorError when missing */
  removeMirror(bridge: string, dst: string, o?: CallOptions): Promise<void>;

  /** replaces the root qdisc; netem kinds throw KernelFeatureMissingError without netem */
  setQos(link: string, qos: QosSpec, o?: CallOptions): Promise<void>;
  /** removes the root qdisc (no error when there is none) */
  clearQos(link: string, o?: CallOptions): Promise<void>;
  /** kind of the root qdisc (`tbf`, `netem`, `fq_codel`, ...) or undefined */
  qdisc(link: string, o?: CallOptions): Promise<string | undefined>;

  /** names of the network devices that exist */
  links(o?: CallOptions): Promise<string[]>;
}
