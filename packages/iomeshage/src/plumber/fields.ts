/**
 * Splits a pipeline stage or via command into words on whitespace, a
 * double-quoted run staying one word without its quotes
 * (`sed "s/a b/c/"` -> ['sed', 's/a b/c/']). An unterminated quote runs to
 * the end.
 */
export function splitQuoted(input: string): string[] {
  const out: string[] = [];
  let word = '';
  let inWord = false;
  let quoted = false;
  for (const ch of input) {
    if (ch === '"') {
      quoted = !quoted;
      inWord = true;
    } else if (!quoted && /\s/.test(ch)) {
      if (inWord) out.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) out.push(word);
  return out;
}
