// Containers: minimega's second VM kind (containers.md).
export {
  type CgroupSpec,
  type CgroupVersion,
  type ContainerCgroup,
  containerHostProblem,
  createContainerCgroup,
  DEVICE_ALLOW,
  detectCgroupVersion,
  ensureCgroupMounts,
  openContainerCgroup,
  removeCgroupParent,
  v1Hierarchies,
} from './cgroups.js';
export {
  type ConsoleOptions,
  type ContainerConsole,
  SCROLLBACK_BYTES,
  startConsole,
} from './console.js';
export {
  type ContainerDriver,
  type ContainerDriverOptions,
  createContainerDriver,
} from './driver.js';
export {
  CgroupError,
  ContainerFilesystemError,
  ContainerKillError,
  ContainerNetError,
  ContainerStartError,
  FreezerError,
} from './errors.js';
export {
  CONTAINER_INFO_COLUMNS,
  type ContainerInfoColumn,
  containerInfoCells,
} from './info.js';
export {
  type ContainerMeta,
  processStart,
  readContainerMeta,
  shimAlive,
} from './meta.js';
export {
  type ContainerPlan,
  type ContainerPlanConfig,
  type ContainerPlanInput,
  DEVICES,
  type DevEntry,
  fstabEscape,
  type OverlayPlan,
  planContainer,
  shQuote,
  UNSHARE_FLAGS,
} from './plan.js';
export {
  type ContainerProcess,
  describeExit,
  type StartContainerOptions,
  startContainer,
} from './process.js';
export { type ReattachContainerOptions, reattachContainer } from './reattach.js';
export { CONTAINER_CAPS, INIT_ENV, SHIM_SCRIPT } from './shim.js';
export { extractTarRoot, tarTopLevel } from './tar.js';
export { createVeth, deleteVeth, type VethSpec, vethArgv } from './veth.js';
