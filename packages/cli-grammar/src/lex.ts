// Command-line lexer (minicli.md §2) and minimega's requoting join.
import { LexError } from './errors.js';

const ESCAPES: Record<string, string> = {
  r: '\r',
  n: '\n',
  t: '\t',
  '\\': '\\',
  '"': '"',
  "'": "'",
  '#': '#',
};

// Go's unicode.IsSpace: Unicode's White_Space property (ASCII whitespace, NEL,
// NBSP and the Z categories), spelled out: a \p{Z} class is built from ICU's
// tables each time V8 parses it, a measurable part of `minimega -e`'s start.
export const GO_SPACE =
  /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;
const SPACE = new RegExp(`^${GO_SPACE.source}$`);

/** Split a command line into words; throws LexError on bad quoting/escapes. */
export function lex(input: string): string[] {
  const words: string[] = [];
  let content = '';
  // a quoted section forces a word even when empty (`""` → '')
  let force = false;
  let state: 'outside' | 'quote' = 'outside';
  let terminal = '';
  const chars = Array.from(input);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '\\') {
      const next = chars[++i];
      if (next === undefined) throw new LexError('expected escape character');
      const v = ESCAPES[next];
      if (v === undefined) throw new LexError(`unexpected escaped character: ${next}`);
      content += v;
      continue;
    }
    if (state === 'quote') {
      if (c === terminal) {
        state = 'outside';
        force = true;
      } else {
        content += c;
      }
      continue;
    }
    if (c === '"' || c === "'") {
      state = 'quote';
      terminal = c;
    } else if (c === '#') {
      break;
    } else if (SPACE.test(c)) {
      if (content.length > 0 || force) words.push(content);
      content = '';
      force = false;
    } else {
      content += c;
    }
  }
  if (state === 'quote') throw new LexError(`missing terminal ${terminal}`);
  if (content.length > 0 || force) words.push(content);
  return words;
}

const HAS_SPACE = GO_SPACE;

/** Go strconv.Quote: double-quoted with Go escapes. */
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
    if (cp < 0x20 || cp === 0x7f) {
      out += `\\x${cp.toString(16).padStart(2, '0')}`;
    } else if (isNonPrintable(cp)) {
      out +=
        cp > 0xffff
          ? `\\U${cp.toString(16).padStart(8, '0')}`
          : `\\u${cp.toString(16).padStart(4, '0')}`;
    } else {
      out += ch;
    }
  }
  return out + '"';
}

// Go's strconv.IsPrint, approximated by Unicode categories: control, format,
// unassigned, surrogates, private use, and separators other than U+0020.
// Built on first use (only quoting of non-ASCII text needs it), from a string:
// V8 checks a regular expression literal whenever it parses the code around
// it, and the unassigned category \p{Cn} is a large class to build.
let nonPrint: RegExp | undefined;
function isNonPrintable(cp: number): boolean {
  if (cp === 0x20) return false;
  nonPrint ??= /^[\p{Cc}\p{Cf}\p{Cn}\p{Cs}\p{Co}\p{Zl}\p{Zp}\p{Zs}]$/u;
  return nonPrint.test(String.fromCodePoint(cp));
}

/** Quote a word the way minimega re-joins words: Go-quoted only if it contains whitespace. */
export function quoteWord(word: string): string {
  return HAS_SPACE.test(word) ? goQuote(word) : word;
}

/** minimega's requoting join of words (a nested command's `Original`). */
export function joinWords(words: readonly string[]): string {
  return words.map(quoteWord).join(' ');
}
