// The public contract of @mm/cli-grammar. The daemon and every command module
// code against these types; the implementation lives in the other files.
// (Contract written first so the grammar and the daemon can be built in
// parallel; change it only together with its callers.)

/** Output mode of the renderer; only `.csv` and `.json` switch it. */
export type OutputMode = 'table' | 'json' | 'csv';

/** Rendering and recording flags (minicli.md §1). */
export interface Flags {
  annotate: boolean;
  compress: boolean;
  headers: boolean;
  sort: boolean;
  preprocess: boolean;
  record: boolean;
  mode: OutputMode;
}

/** One host's answer to one command (minicli.md §1). camelCase here; see toWire() for the Go names. */
export interface Response {
  host: string;
  /** simple text output ('' when none) */
  response: string;
  /** table header, or null */
  header: string[] | null;
  /** table rows, or null */
  tabular: string[][] | null;
  /** error text ('' when none) */
  error: string;
  /** structured data for JSON mode and for programs (optional) */
  data?: unknown;
  /** rendering flags; only batch[0]'s are used (not serialised) */
  flags?: Flags;
}

/** One batch of responses; a command emits zero or more batches. */
export type Batch = Response[];

/** A compiled command line (minicli.md §1). */
export interface Command {
  /** the text the command was compiled from (top level: trimmed raw input) */
  original: string;
  /** the lexed words this command matched (serialise these, not `original`, to resend a command) */
  words: string[];
  stringArgs: Record<string, string>;
  boolArgs: Record<string, boolean>;
  listArgs: Record<string, string[]>;
  subcommand?: Command;
  /** the matched handler (undefined for no-op comment commands) */
  handler?: Handler;
  record: boolean;
  preprocess: boolean;
  /** a comment-only line: nothing runs */
  nop: boolean;
  /** where the command came from: '' (local/socket), 'meshage', a file name for `read` ... */
  source: string;
  /** namespace the command runs in ('' = the active one) */
  namespace: string;
}

/** Per-invocation environment passed down to handlers and nested commands. */
export interface CallEnv {
  /** aborted when the client goes away or the daemon shuts down */
  signal?: AbortSignal;
  /** progress/status messages for the client that issued the command */
  status?: (message: string) => void;
  /** opaque per-client data a daemon wants its handlers to see (e.g. connection id) */
  client?: unknown;
}

/** Where a handler writes its output. */
export interface Output {
  /** emit one batch */
  emit(batch: Batch): void;
  /** convenience: emit one batch holding one response from the local host */
  respond(r: Partial<Response>): void;
}

/** What a command module registers (minicli.md §1). */
export interface HandlerSpec {
  helpShort: string;
  helpLong?: string;
  patterns: string[];
  call(cmd: Command, out: Output, env: CallEnv): void | Promise<void>;
  /** completion for string/list items: candidates for `prefix` at pattern key `key` */
  suggest?(raw: string, key: string, prefix: string): string[] | Promise<string[]>;
  /**
   * The handler may answer nothing at all (`quit`, `nuke`: the daemon goes
   * away and minimega sends no reply). Without it, a handler that emits no
   * batch answers one empty response from this host, as every minimega
   * handler does (clients iterate over `Resp` and break on `null`).
   */
  silent?: boolean;
}

/** A registered handler: the spec plus what registration derived. */
export interface Handler extends HandlerSpec {
  readonly sharedPrefix: string;
}

/** Rewrites a command's arguments before it runs (env expansion, file: ...). */
export type Preprocessor = (cmd: Command, env: CallEnv) => Promise<void>;

/** Go-named wire form of a Response, as minimega's JSON protocol sends it. */
export interface WireResponse {
  Host: string;
  Response: string;
  Header: string[] | null;
  Tabular: string[][] | null;
  Error: string;
  Data: unknown;
}
