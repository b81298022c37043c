// @mm/ovs: Open vSwitch bridges, taps, trunks, tunnels, mirrors and qos
// behind one Switch contract (real: ovs-vsctl/ip/tc; fake: in memory), a
// private-OVS helper, minimega's VLAN alias allocator, and a host's networking
// state behind the HostNetwork contract (createHostNetwork).

export {
  type CaptureRecord,
  type CaptureSettings,
  type Captures,
  createCaptures,
  DEFAULT_SNAPLEN,
  type PcapProcess,
  type PcapSpec,
  type PcapStarter,
  tcpdumpStarter,
} from './capture.js';
export { type DetectDatapathOptions, detectDatapath, parseDatapath } from './datapath.js';
export {
  CaptureStartError,
  InvalidArgumentError,
  KernelFeatureMissingError,
  LinkExistsError,
  NoSuchBridgeError,
  NoSuchLinkError,
  NoSuchMirrorError,
  NoSuchPortError,
  OvsCommandError,
  OvsError,
  OvsNotRunningError,
  OvsStartError,
  PortExistsError,
} from './errors.js';
export {
  createFakeSwitch,
  type FakeBridge,
  type FakeSwitch,
  type FakeSwitchOptions,
} from './fake-switch.js';
export { checkIfName, MAX_IFNAME } from './names.js';
export {
  BadMirrorError,
  HostTapSetupError,
  type MirrorProblem,
  NetworkCapabilityError,
  NetworkError,
  NotHostTapError,
  ReservedNameError,
  TapExistsError,
  TrunkExistsError,
  TunnelError,
  UnknownMirrorError,
  UnknownPortError,
  UnknownTapError,
} from './network/errors.js';
export { createHostNetwork, fixedSwitchProvider } from './network/host-network.js';
export {
  createSwitchProvider,
  type SwitchProvider,
  type SwitchProviderOptions,
} from './network/provider.js';
export { alignTable } from './network/state-files.js';
export type {
  BridgeSummary,
  HostNetwork,
  HostNetworkOptions,
  MirrorInfo as NetMirrorInfo,
  NetLogger,
  NetRecovery,
  OpOptions as NetOpOptions,
  RecoveredTap,
  TapInfo,
  VethMaker,
} from './network/types.js';
export {
  adoptPrivateOvs,
  type PrivateOvs,
  type PrivateOvsOptions,
  startPrivateOvs,
  stopPrivateOvsIn,
} from './private-ovs.js';
export { CLK_TCK, formatQos, qosArgv, tbfBurst } from './qos.js';
export { createOvsSwitch, type OvsSwitchOptions } from './real-switch.js';
export {
  createExecRunner,
  type ExecRunnerOptions,
  type Runner,
  type RunOptions,
  type RunResult,
} from './runner.js';
export type {
  BridgeInfo,
  CallOptions,
  Datapath,
  HostTapSpec,
  MirrorInfo,
  MirrorSpec,
  PortInfo,
  PortKind,
  QosSpec,
  Switch,
  TapSpec,
  TunnelSpec,
  TunnelType,
} from './switch.js';
export { DHCP_WAIT_MS } from './switch.js';
export * from './vlans/index.js';
