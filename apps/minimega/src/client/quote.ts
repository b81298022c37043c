// minimega's rule for turning argv words into one command line (daemon.md
// §4). The Go quoting itself is the grammar's (its light `words` entry, which
// tsup bundles into dist/main.js without the rest of the grammar or zod).
import { goQuote } from '@mm/cli-grammar/words';

export { goQuote };

/**
 * One command line from argv words: a single word is sent unchanged (so
 * `-e 'vm info'` works); otherwise words are joined with spaces, and every
 * word the lexer would not read back as itself (whitespace, quotes,
 * backslash, `#`, empty) is Go-quoted. The original quoted only words with
 * whitespace, so `-e echo 'a"b'` failed to lex.
 */
export function wordsToCommand(words: string[]): string {
  if (words.length === 1) return words[0]!;
  return words.map((w) => (/[\s"'`\\#]/.test(w) || w === '' ? goQuote(w) : w)).join(' ');
}

/** Prefix a command so it runs in namespace `ns` (fixes daemon.md sharp edge 2: the command stays unquoted). */
export function inNamespace(ns: string, command: string): string {
  if (ns === '') return command;
  const nsWord = /^[^\s"'`#\\]+$/.test(ns) ? ns : goQuote(ns);
  return `namespace ${nsWord} ${command}`;
}
