// @mm/qemu: the VM config model, netspecs/diskspecs, the QEMU command line,
// a QMP client, process supervision and the KVM VM lifecycle.
export { type AccelSetting, accelResolver, type ProbeAccelOptions, probeAccel } from './accel.js';
export {
  type Accel,
  type ArgvOptions,
  applyOverrides,
  buildArgs,
  flattenArgs,
  printOverrides,
  splitArgs,
  virtioPortNames,
} from './argv.js';
export {
  checkPath,
  cloneVmConfig,
  DEFAULT_QEMU,
  defaultVmConfig,
  type QemuOverride,
  type VmConfig,
  vmConfigSchema,
} from './config.js';
export { configFile } from './config-file.js';
export * from './container/index.js';
export {
  DISK_CACHES,
  DISK_INTERFACES,
  type DiskConfig,
  parseDiskspec,
  printDiskspec,
} from './diskspec.js';
export type { StartVmOptions, VmDriver, VmExit, VmMonitor, VmProcess } from './driver.js';
export { alignBlock, dumpVmConfig } from './dump.js';
export {
  ConfigValueError,
  MalformedDiskspecError,
  MalformedNetspecError,
  QemuError,
  QemuStartError,
  QmpClosedError,
  QmpCommandError,
  QmpProtocolError,
  QmpTimeoutError,
  VmCommandError,
  VmStateError,
} from './errors.js';
export { createFakeDriver, type FakeDriver, type FakeVmProcess } from './fake-driver.js';
export {
  CONFIG_FIELDS,
  type ConfigField,
  type FieldContext,
  type FieldKind,
  findField,
  printDisks,
  setDisks,
} from './fields.js';
export { goList, goQuote, parseBool, parseInt64, parseUint } from './gostrconv.js';
export {
  VmLaunchError,
  VmNotFoundError,
  VmTargetError,
  VmTypeError,
} from './host/errors.js';
export { type AdoptResult, createLocalVmHost, type LocalVmHost } from './host/local-host.js';
export { toRecord } from './host/record.js';
export {
  hostLoadSchema,
  saveStatusSchema,
  vmRecordSchema,
  vmStateSchema,
  vmTopRowSchema,
  vmTypeSchema,
} from './host/schema.js';
export { applyTargets, expandTargets, requireFound, type Targeted } from './host/targets.js';
export { type ProcFigures, type ProcSample, sampleProcTree } from './host/top.js';
export {
  type HostLoad,
  type LaunchRequest,
  type LaunchResult,
  type LocalVmHostOptions,
  type NicAttacher,
  type OpOptions,
  type SaveStatus,
  type SaveTarget,
  VM_TYPES,
  type VmCdromOp,
  type VmHost,
  type VmHotplug,
  type VmHotplugOp,
  type VmNetOp,
  type VmRecord,
  type VmRef,
  type VmSelector,
  type VmTagOp,
  type VmTap,
  type VmTopRow,
  type VmType,
  type VmTypeDriver,
} from './host/types.js';
export { generateUuid, randomMac } from './ids.js';
export {
  DEFAULT_BRIDGE,
  DEFAULT_NIC_DRIVER,
  isMac,
  type NetConfig,
  type ParseNetspecOptions,
  parseNetspec,
  printNetspec,
} from './netspec.js';
export {
  encodePng,
  ImageFormatError,
  parsePpm,
  ppmToPng,
  type RgbImage,
  thumbnail,
} from './png.js';
export {
  probeCpus,
  probeMachines,
  probeNicDrivers,
  resolveQemuBinary,
  validateCpu,
  validateMachine,
} from './probe.js';
export { createQemuDriver, type QemuDriverOptions } from './qemu-driver.js';
export { QmpClient, type QmpConnectOptions, type QmpEvent, type QmpReply } from './qmp.js';
export { instanceArgv, type ReattachOptions, reattachQemu } from './reattach.js';
export { createSlowStartDriver, type SlowStartDriver } from './slow-start-driver.js';
export { VM_PHASE_CHANNEL, type VmPhaseEvent } from './trace.js';
export { isKillable, KvmVm, type KvmVmOptions, type VmState } from './vm.js';
export {
  formatEvent as formatKbEvent,
  type KbEvent,
  KbParseError,
  parseEvent as parseKbEvent,
  parseLine as parseKbLine,
} from './vnc/kb.js';
export { keysymName, keysymOf, UnknownKeyError } from './vnc/keysyms.js';
export {
  FbRecording,
  goDurationNs,
  KbRecording,
  Playback,
  type PlaybackState,
  typeLines,
} from './vnc/sessions.js';
export { type VncPlaybackOptions, type VncRecordingKind, VncSessions } from './vnc/vnc-sessions.js';
export { startVncShim, type VncShim } from './vnc.js';
