// @mm/iomeshage: files over the minimega mesh. Each node serves one files
// directory; `get` pulls a file (or a glob, or a directory) from every node
// holding it, part by part in parallel, verified against content hashes. See
// README.md for the API and the on-wire design.
export * from './errors.js';
export { nodeFs, type PartFile, type TransferFs } from './fsio.js';
export { compileSegment, glob, hasMeta, match, validatePattern } from './glob.js';
export {
  computeManifest,
  DEFAULT_PART_SIZE,
  fileHash,
  HashCache,
  hashPart,
  type Manifest,
  partCount,
  partRange,
} from './hashing.js';
export {
  createIomeshage,
  type FileInfo,
  type GetOptions,
  type Iomeshage,
  type IomeshEvents,
  type IomeshOptions,
  type TransferStatus,
} from './iomesh.js';
export { type ListOptions, type LocalEntry, list, remove } from './listing.js';
export type { IomeshMesh, StreamContext, StreamMesh } from './mesh-port.js';
export { cleanPath, cleanRel, relOf, WORK_DIR } from './paths.js';
export { type Candidate, chooseVersion, PartScheduler, type Pick } from './plan.js';
export * from './plumber/index.js';
export {
  Transfer,
  type TransferDeps,
  type TransferProgress,
  type TransferSpec,
  type TransferState,
} from './transfer.js';
export { STREAM_PROTOCOL } from './wire.js';
