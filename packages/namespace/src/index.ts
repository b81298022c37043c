export {
  clearNamespacesOn,
  NamespaceClear,
  type NamespaceClearTarget,
  serveNamespaceClear,
} from './clear.js';
export {
  createVmCluster,
  type HostOutcome,
  HostUnreachableError,
  targetOutcomes,
  type VmCluster,
  type VmClusterOptions,
} from './cluster.js';
export {
  InvalidNamespaceNameError,
  NamespaceError,
  UnknownNamespaceError,
  UnknownTunnelBridgeError,
  UnknownVmConfigError,
} from './errors.js';
export {
  createLauncher,
  DEFAULT_MAX_QUEUED,
  type HostLaunchRow,
  LAUNCH_STATE,
  LaunchError,
  type Launcher,
  type LauncherOptions,
  type LaunchState,
  type LoadMethod,
  type Planner,
  type PlanPolicy,
  type QueuedEntry,
  type ScheduleStat,
  singleHostPlanner,
} from './launcher.js';
export {
  createNamespaceManager,
  type LocalNamespaceManagerOptions,
  validateNamespaceName,
} from './local-manager.js';
export {
  DEFAULT_NAMESPACE,
  type NamespaceInfo,
  type NamespaceListener,
  type NamespaceManager,
  type SlotKey,
  slotKey,
} from './manager.js';
export { Namespace } from './namespace.js';
export { type SchedulerPlannerOptions, schedulerPlanner } from './planner.js';
export { createRemoteVmHost, RemoteVmHostError, type RemoteVmHostOptions } from './remote-host.js';
export { VM_HOST_OPS, VmHostCall, type VmHostOp, wireName } from './rpc.js';
export {
  NamespaceSaveError,
  type SaveNamespaceOptions,
  type SaveNamespaceResult,
  saveDir,
  saveNamespace,
  saveProgress,
} from './save.js';
export { type ServeVmHostOptions, serveVmHost } from './serve.js';
export { createNamespaceTunnels, type NamespaceTunnel, type NamespaceTunnels } from './tunnels.js';
export { createNamespaceVmConfigs, type NamespaceVmConfigs } from './vm-configs.js';
