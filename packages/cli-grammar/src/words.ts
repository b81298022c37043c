// The light entry `@mm/cli-grammar/words`: the lexer and minimega's Go
// quoting with nothing else (no zod, no matcher), for clients that only turn
// argv words into a command line and must start fast (`minimega -e`).
export { LexError } from './errors.js';
export { GO_SPACE, goQuote, joinWords, lex, quoteWord } from './lex.js';
