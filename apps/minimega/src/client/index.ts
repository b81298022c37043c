// @mm/minimega/client: the control-socket client alone (no daemon code), for
// tools such as miniweb that talk to a running daemon.

export type { WireReply, WireResp } from '../protocol/wire.js';
export { ClientError, type DialOptions, MinimegaClient } from './connection.js';
export { goQuote, inNamespace, wordsToCommand } from './quote.js';
export {
  dialVnc,
  readLine,
  type VncAnswer,
  VncConnectError,
  type VncRequest,
  vncSocketPath,
} from './vnc.js';
