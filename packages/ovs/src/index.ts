// @mm/ovs: Open vSwitch bridges, taps, trunks, tunnels, mirrors and qos
// behind one Switch contract (real: ovs-vsctl/ip/tc; fake: in memory), a
// private-OVS helper, and minimega's VLAN alias allocator.
export { type DetectDatapathOptions, detectDatapath, parseDatapath } from './datapath.js';
export {
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
export * from './vlans/index.js';
