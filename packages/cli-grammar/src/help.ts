// `help` text (minicli.md §8) and the `-cli` handler document.
import { compareBytes } from './compare.js';
import { lex } from './lex.js';
import { type PatternItem, parsePattern, renderPattern } from './pattern.js';
import { tabwrite } from './tabwriter.js';
import { helpHandlers, type TrieNode } from './trie.js';

export interface HelpHandler {
  readonly helpShort: string;
  readonly helpLong?: string;
  readonly patterns: string[];
  readonly sharedPrefix: string;
  readonly patternItems: readonly PatternItem[][];
}

export function helpText<H extends HelpHandler>(
  root: TrieNode<H & { patterns: string[]; helpShort: string }>,
  all: readonly H[],
  text: string,
): string {
  let words: string[];
  try {
    words = lex(text);
  } catch (e) {
    return `unable to parse \`${text}\`: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (words.length === 0) return shortList(all);
  // keep registration order so output does not depend on trie iteration
  const found = helpHandlers(root, words);
  const matches = all.filter((h) => found.has(h as H & { patterns: string[]; helpShort: string }));
  if (matches.length === 0) return `no help entry for \`${text}\``;
  if (matches.length === 1) return longHelp(matches[0]!);
  const withLong = matches.filter((h) => (h.helpLong ?? '') !== '');
  if (withLong.length === 1) {
    const patterns = matches.flatMap((h) => h.patterns);
    return longHelp({
      helpShort: '',
      helpLong: withLong[0]!.helpLong!,
      patterns,
      sharedPrefix: '',
      patternItems: patterns.map(parsePattern),
    });
  }
  return shortList(matches);
}

/** `Usage:` with every pattern, then the long (or short) help. */
export function longHelp(h: HelpHandler): string {
  let res = 'Usage:\n';
  for (const items of h.patternItems) res += `\t${renderPattern(items)}\n`;
  res += '\n';
  return res + ((h.helpLong ?? '') !== '' ? h.helpLong : h.helpShort);
}

/** The tab-aligned list of every pattern with its short help. */
export function shortList(handlers: readonly HelpHandler[]): string {
  const sorted = [...handlers].sort((a, b) => compareBytes(a.sharedPrefix, b.sharedPrefix));
  const keys: string[] = [];
  const vals = new Map<string, string>();
  for (const h of sorted) {
    for (const p of h.patterns) {
      keys.push(p);
      vals.set(p, h.helpShort);
    }
  }
  keys.sort(compareBytes);
  // fmt.Fprintln(w, pattern, "\t", ":\t", short, "\t") → cells "p ", " :", " short ", ""
  const lines = keys.map((k) => [`${k} `, ' :', ` ${vals.get(k)} `, '']);
  return (
    'Display help on a command. Here is a list of commands:\n' +
    tabwrite(lines, { minwidth: 0, tabwidth: 8, padding: 0, padchar: '\t' })
  );
}

export interface PatternItemDoc {
  type: number;
  key?: string;
  text?: string;
  options?: string[];
}

export interface HandlerDoc {
  help_short: string;
  help_long: string;
  patterns: string[];
  shared_prefix: string;
  parsed_patterns: PatternItemDoc[][];
}

export function handlerDoc(h: HelpHandler): HandlerDoc {
  return {
    help_short: h.helpShort,
    help_long: h.helpLong ?? '',
    patterns: [...h.patterns],
    shared_prefix: h.sharedPrefix,
    parsed_patterns: h.patternItems.map((items) =>
      items.map((i) => {
        const d: PatternItemDoc = { type: i.type };
        if (i.key !== '') d.key = i.key;
        if (i.text !== '') d.text = i.text;
        if (i.options.length > 0) d.options = [...i.options];
        return d;
      }),
    ),
  };
}
