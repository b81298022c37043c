// Go strconv.Quote, and minimega's rule for turning argv words into one
// command line (daemon.md §4): words with whitespace are quoted.

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

function isPrintable(cp: number): boolean {
  // close to Go's unicode.IsPrint for the cases that matter here
  if (cp < 0x20 || cp === 0x7f) return false;
  if (cp >= 0x80 && cp < 0xa0) return false;
  if (cp === 0xad || cp === 0x2028 || cp === 0x2029 || cp === 0xfeff) return false;
  if (cp >= 0xd800 && cp <= 0xdfff) return false;
  return true;
}

export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (isPrintable(cp)) out += ch;
    else if (cp < 0x80) out += `\\x${hex(cp, 2)}`;
    else if (cp < 0x10000) out += `\\u${hex(cp, 4)}`;
    else out += `\\U${hex(cp, 8)}`;
  }
  return out + '"';
}

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
