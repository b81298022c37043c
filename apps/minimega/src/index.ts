// @mm/minimega: the daemon and its clients, for tools and tests that drive
// minimega from code (the `minimega` command is dist/main.js).
export { ClientError, type DialOptions, MinimegaClient } from './client/connection.js';
export { goQuote, inNamespace, wordsToCommand } from './client/quote.js';
export type {
  CommandModule,
  Daemon,
  DaemonFlags,
  DaemonServices,
  FileFetcher,
  Logger,
  LogLevel,
  VmNetworking,
  VmStats,
} from './context.js';
export { createDaemonCore, type DaemonCore } from './daemon/core.js';
export { defaultDaemonFlags, parseVlanRange, toDaemonFlags } from './daemon/flags.js';
export { type RunningDaemon, type StartOptions, startDaemon } from './daemon/start.js';
export { FlagError, type ParsedFlags, parseFlags } from './flags/parse.js';
export { createLogger, type DaemonLogger } from './log/logger.js';
export { JsonStreamSplitter } from './protocol/json-stream.js';
export { encodeGo, type WireReply, type WireRequest, type WireResp } from './protocol/wire.js';
