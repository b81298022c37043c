// The Cli: a handler registry with its own flags, aliases and history, so a
// daemon may keep one per client if it wants per-connection settings.
import { builtinHandlers } from './builtins.js';
import { errorMessage } from './command.js';
import { type EnvStore, processEnv } from './env.js';
import { InvalidCommandError } from './errors.js';
import { defaultFlags, makeResponse } from './flags.js';
import { type HandlerDoc, handlerDoc, helpText } from './help.js';
import { History } from './history.js';
import { GO_SPACE, joinWords, lex } from './lex.js';
import { type PatternItem, parsePattern } from './pattern.js';
import { AsyncQueue } from './queue.js';
import { renderBatch, renderErrors } from './render.js';
import { suggestFor } from './suggest.js';
import { matchWords, removeHandler, TrieNode } from './trie.js';
import type {
  Batch,
  CallEnv,
  Command,
  Flags,
  Handler,
  HandlerSpec,
  Output,
  Preprocessor,
  Response,
} from './types.js';
import { validateHandlers } from './validate.js';

export interface CliOptions {
  /** Host of local responses */
  hostname: string;
  /** history entries kept (default 10 000; ≤ 0 keeps all) */
  historyLimit?: number;
  /** history bytes kept over all entries, and the longest line kept (default: no byte limits) */
  historyBytes?: number;
  historyLineBytes?: number;
  /** environment seen and changed by `.env` (default: process.env) */
  env?: EnvStore;
  /** warnings such as the first history truncation (default: none) */
  warn?: (message: string) => void;
}

/** A registered handler with its parsed patterns. */
export interface RegisteredHandler extends Handler {
  readonly patternItems: readonly PatternItem[][];
}

/** `(command)` items nest at most this deep (minimega has no limit; nobody needs more). */
export const MAX_NESTING = 100;

export class Cli {
  readonly hostname: string;
  /** default flags (process-wide in minimega, per instance here) */
  readonly defaults: Flags = defaultFlags();
  preprocessor?: Preprocessor;
  readonly aliases = new Map<string, string>();
  readonly env: EnvStore;
  private readonly hist: History;
  private readonly root = new TrieNode<RegisteredHandler>();
  private readonly registered: RegisteredHandler[] = [];

  readonly history: { entries(): string[]; clear(): void; text(): string };

  constructor(opts: CliOptions) {
    this.hostname = opts.hostname;
    this.env = opts.env ?? processEnv;
    const warn = opts.warn;
    this.hist = new History(
      {
        entries: opts.historyLimit ?? 10_000,
        bytes: opts.historyBytes ?? 0,
        lineBytes: opts.historyLineBytes ?? 0,
      },
      (limit) => warn?.(`history length exceeds limit, truncating to ${limit} entries`),
    );
    this.history = this.hist;
  }

  /** Every registered handler, in registration order. */
  handlers(): readonly RegisteredHandler[] {
    return this.registered;
  }

  /** Register a handler; throws PatternError / ConflictError and then changes nothing. */
  register(spec: HandlerSpec): RegisteredHandler {
    const patternItems = spec.patterns.map(parsePattern);
    const h: RegisteredHandler = {
      ...spec,
      helpShort: spec.helpShort.trim(),
      helpLong: (spec.helpLong ?? '').trim(),
      patterns: [...spec.patterns],
      sharedPrefix: sharedPrefix(patternItems),
      patternItems,
    };
    try {
      for (const items of patternItems) this.root.add(items, h);
    } catch (e) {
      removeHandler(this.root, h);
      throw e;
    }
    this.registered.push(h);
    return h;
  }

  /** Register the dot commands (minicli.md §7). */
  registerBuiltins(): void {
    for (const spec of builtinHandlers(this)) this.register(spec);
  }

  /** Compile one input line: null for blank input; throws LexError / InvalidCommandError. */
  compile(line: string): Command | null {
    const input = line.trim();
    if (input === '') return null;
    const words = lex(input);
    if (input.startsWith('#')) {
      return { ...emptyCommand(words), original: input, nop: true };
    }
    const cmd = this.compileTop(words);
    if (!cmd) throw new InvalidCommandError(input);
    cmd.original = input;
    return cmd;
  }

  /** Compile already-lexed words (a command resent over the mesh or to a namespace). */
  compileWords(words: readonly string[]): Command {
    const cmd = words.length > 0 ? this.compileTop([...words]) : undefined;
    if (!cmd) throw new InvalidCommandError(joinWords(words));
    return cmd;
  }

  private compileTop(words: string[]): Command | undefined {
    try {
      return this.compileList(words, 0, 0, new Map());
    } catch (e) {
      // a safety net: input that exhausts the stack is simply invalid
      if (e instanceof RangeError) return undefined;
      throw e;
    }
  }

  /**
   * Compile `words[start..]`. Nested `(command)` items compile the rest
   * against the root; `memo` (keyed by start) keeps abbreviated nestings such
   * as `. t . t . t …` linear instead of exponential, and nesting deeper than
   * MAX_NESTING levels is refused.
   */
  private compileList(
    all: string[],
    start: number,
    depth: number,
    memo: Map<number, Command | undefined>,
  ): Command | undefined {
    if (depth > MAX_NESTING) return undefined;
    const m = matchWords(this.root, all, start, (i) => {
      if (!memo.has(i)) memo.set(i, this.compileList(all, i, depth + 1, memo));
      return memo.get(i);
    });
    if (!m) return undefined;
    const words = start === 0 ? all : all.slice(start);
    const cmd: Command = {
      ...emptyCommand(words),
      original: joinWords(words),
      stringArgs: m.stringArgs,
      boolArgs: m.boolArgs,
      listArgs: m.listArgs,
      handler: m.handler,
      record: this.defaults.record,
      preprocess: this.defaults.preprocess,
    };
    if (m.sub) cmd.subcommand = m.sub as Command;
    return cmd;
  }

  /** Replace the first word by its alias expansion (exact match, once). */
  expandAliases(line: string): string {
    const m = GO_SPACE.exec(line);
    const i = m ? m.index : -1;
    const [car, cdr] = i > 0 ? [line.slice(0, i), line.slice(i)] : [line, ''];
    const expansion = this.aliases.get(car);
    return expansion === undefined ? line : expansion + cdr;
  }

  /** Run a compiled command: preprocess, call, record history; yields its batches as they come. */
  async *process(cmd: Command, env: CallEnv = {}): AsyncIterable<Batch> {
    const q = new AsyncQueue<Batch>();
    let emitted = false;
    const out: Output = {
      emit: (batch) => {
        emitted = true;
        q.push(batch);
      },
      respond: (r) => {
        emitted = true;
        q.push([makeResponse(this.hostname, r)]);
      },
    };
    const task = async (): Promise<void> => {
      if (this.preprocessor && cmd.preprocess) {
        try {
          await this.preprocessor(cmd, env);
        } catch (e) {
          q.push([makeResponse('', { error: errorMessage(e) })]);
          return;
        }
      }
      if (!cmd.nop && cmd.handler) {
        try {
          await cmd.handler.call(cmd, out, env);
          // minimega's handlers always answer (one empty response per host)
          if (!emitted && !cmd.handler.silent) q.push([makeResponse(this.hostname, {})]);
        } catch (e) {
          // a throwing handler answers with an error instead of taking the daemon down
          q.push([makeResponse(this.hostname, { error: errorMessage(e) })]);
        }
      }
      if (cmd.record) this.hist.add(cmd.original);
    };
    void task().finally(() => q.close());
    try {
      yield* q;
    } finally {
      q.abandon(); // a consumer that stops early must not make batches pile up
    }
  }

  /** Compile and run a line; a compile error becomes one error batch. */
  async *run(line: string, env: CallEnv = {}): AsyncIterable<Batch> {
    let cmd: Command | null;
    try {
      cmd = this.compile(line);
    } catch (e) {
      yield [makeResponse(this.hostname, { error: errorMessage(e) })];
      return;
    }
    if (cmd) yield* this.process(cmd, env);
  }

  /** Responses.String() with this instance's default flags. */
  render(batch: Batch): string {
    return renderBatch(batch, this.defaults);
  }

  /** Responses.Error() */
  renderErrors(batch: Batch): string {
    return renderErrors(batch);
  }

  /** A Response from this host. */
  response(r: Partial<Response> = {}): Response {
    return makeResponse(this.hostname, r);
  }

  /** `help [command]...` text (minicli.md §8). */
  help(text: string): string {
    return helpText(this.root, this.registered, text);
  }

  /** Raw completion candidates for a partial line (minicli.md §9). */
  async suggest(line: string): Promise<string[]> {
    let words: string[];
    try {
      words = lex(line);
    } catch {
      return [];
    }
    return suggestFor(this.registered, line, words);
  }

  /** `minimega -cli` checks: duplicate and ambiguous patterns. */
  validate(): string[] {
    return validateHandlers(this.registered);
  }

  /** `minimega -cli` JSON document of every handler. */
  doc(): HandlerDoc[] {
    return this.registered.map(handlerDoc);
  }
}

function emptyCommand(words: string[]): Command {
  return {
    original: '',
    words,
    stringArgs: {},
    boolArgs: {},
    listArgs: {},
    record: false,
    preprocess: false,
    nop: false,
    source: '',
    namespace: '',
  };
}

/** Longest common prefix of each pattern's leading literals, trimmed. */
function sharedPrefix(patterns: readonly PatternItem[][]): string {
  const prefixes: string[] = [];
  for (const items of patterns) {
    const lits: string[] = [];
    for (const it of items) {
      if (it.type !== 2) break;
      lits.push(it.text);
    }
    const p = lits.join(' ');
    if (p === '') return '';
    prefixes.push(p);
  }
  let shared = prefixes[0] ?? '';
  for (const p of prefixes.slice(1)) {
    let j = 0;
    while (j < shared.length && j < p.length && shared[j] === p[j]) j++;
    shared = shared.slice(0, j);
  }
  return shared.trim();
}
