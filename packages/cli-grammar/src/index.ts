// @mm/cli-grammar: minimega's command language — lexer, patterns, matching,
// dot commands, renderer, host ranges.

export { Cli, type CliOptions, type RegisteredHandler } from './cli.js';
export { type Filter, filterMatch, findColumn, parseFilter } from './columns.js';
export { setNamespace, setPreprocess, setRecord, setSource } from './command.js';
export { compareRows } from './compare.js';
export { type EnvStore, mapEnv, processEnv } from './env.js';
export {
  CliError,
  ConflictError,
  InvalidCommandError,
  LexError,
  PatternError,
  RangeSyntaxError,
} from './errors.js';
export { defaultFlags, makeResponse } from './flags.js';
export type { HandlerDoc, PatternItemDoc } from './help.js';
export { goQuote, joinWords, lex, quoteWord } from './lex.js';
export {
  checkName,
  InvalidNameError,
  isValidName,
  MAX_IFNAME_BYTES,
  MAX_NAME_BYTES,
  NAME_KINDS,
  type NameKind,
  nameProblem,
  nameSchema,
} from './names.js';
export {
  ItemType,
  type PatternItem,
  parsePattern,
  renderPattern,
} from './pattern.js';
export { splitList, unsplitList } from './ranges.js';
export {
  renderBatch,
  renderCsv,
  renderErrors,
  renderJson,
  renderTable,
} from './render.js';
export type {
  Batch,
  CallEnv,
  Command,
  Flags,
  Handler,
  HandlerSpec,
  Output,
  OutputMode,
  Preprocessor,
  Response,
  WireResponse,
} from './types.js';
export { fromWire, toWire, wireResponseSchema } from './wire.js';
