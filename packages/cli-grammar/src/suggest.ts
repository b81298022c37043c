// Completion (minicli.md §9): what could come next after a partial line.
import { ItemType, type PatternItem } from './pattern.js';

export interface SuggestHandler {
  readonly patternItems: readonly PatternItem[][];
  suggest?(raw: string, key: string, prefix: string): string[] | Promise<string[]>;
}

/** De-duplicated raw suggestions from every handler (order: first seen). */
export async function suggestFor(
  handlers: readonly SuggestHandler[],
  raw: string,
  words: readonly string[],
): Promise<string[]> {
  const seen = new Set<string>();
  // suggestions depend only on the remaining words: visit each suffix once
  const visited = new Set<number>();
  const visit = async (ws: readonly string[]): Promise<void> => {
    if (visited.has(ws.length)) return;
    visited.add(ws.length);
    for (const h of handlers) {
      for (const s of await handlerSuggest(h, raw, ws, visit)) seen.add(s);
    }
  };
  await visit(words);
  return [...seen];
}

const { literal, choice, list, command, optional, string } = ItemType;

async function handlerSuggest(
  h: SuggestHandler,
  raw: string,
  words: readonly string[],
  recurse: (words: readonly string[]) => Promise<void>,
): Promise<string[]> {
  const out: string[] = [];
  const complete = raw.endsWith(' ');
  outer: for (const pattern of h.patternItems) {
    // i/item: the pattern item to suggest for (Go's loop variables after the loop)
    let i = 0;
    let item = pattern[0];
    for (i = 0; i < pattern.length; i++) {
      item = pattern[i]!;
      if (words.length === i) break;
      const val = words[i]!;
      if (item.type === literal) {
        if (!item.text.startsWith(val)) continue outer;
      } else if (item.type & choice) {
        if (!item.options.some((o) => o.startsWith(val))) continue outer;
      } else if (item.type & list) {
        continue outer;
      } else if (item.type & command) {
        await recurse(words.slice(i));
      }
      if (words.length === i + 1 && !complete) break;
    }
    // a loop that ran to the end leaves Go's index on the last item
    if (i === pattern.length) i = pattern.length - 1;
    if (!item) continue;
    if (words.length === pattern.length && complete) continue;
    if (words.length > pattern.length && item.type !== command) continue;

    switch (item.type) {
      case literal:
        out.push(item.text);
        break;
      case choice:
      case choice | optional:
        for (const o of item.options) {
          if (i >= words.length || o.startsWith(words[i]!)) out.push(o);
        }
        break;
      case string:
      case list:
      case string | optional:
      case list | optional:
        if (h.suggest) {
          out.push(...(await h.suggest(raw, item.key, i < words.length ? words[i]! : '')));
        }
        break;
      case command:
        await recurse(words.slice(i));
        break;
    }
  }
  return out;
}
