// The plumber: named pipes and pipelines through external programs
// (minimega's `plumb` and `pipe`). See ../../README.md "Plumber".
export * from './errors.js';
export { splitQuoted } from './fields.js';
export { PIPE_MODES, type PipeInfo, type PipeMode, type PipeSink } from './pipe.js';
export {
  createPlumber,
  MAX_HOPS,
  type NameFilter,
  type Plumber,
  type PlumberLogLevel,
  type PlumberOptions,
} from './plumber.js';
