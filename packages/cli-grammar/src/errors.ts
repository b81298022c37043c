// One error class per condition, each with a literal `code` so callers match
// on the code and never on the message text.

export abstract class CliError extends Error {
  abstract readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Malformed command line: bad quoting or escapes (minicli.md §2). */
export class LexError extends CliError {
  readonly code = 'ERR_LEX' as const;
}

/** Malformed handler pattern, rejected at registration (minicli.md §3). */
export class PatternError extends CliError {
  readonly code = 'ERR_PATTERN' as const;
  constructor(
    message: string,
    readonly pattern: string,
  ) {
    super(message);
  }
}

/** Two handlers ending on the same trie node (minicli.md §3). */
export class ConflictError extends CliError {
  readonly code = 'ERR_CONFLICT' as const;
}

/** Input that matches no pattern, or matches several ambiguously (minicli.md §4). */
export class InvalidCommandError extends CliError {
  readonly code = 'ERR_INVALID_COMMAND' as const;
  constructor(readonly input: string) {
    super(`invalid command: \`${input}\``);
  }
}

/** Malformed host range such as `kn[1-` (meshage.md §12). */
export class RangeSyntaxError extends CliError {
  readonly code = 'ERR_RANGE' as const;
}
