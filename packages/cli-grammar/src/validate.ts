// `minimega -cli` checks (minicli.md §3): duplicate patterns and pairs of
// patterns that could match the same input.
import { ItemType, type PatternItem } from './pattern.js';

export interface ValidateHandler {
  readonly patterns: string[];
  readonly patternItems: readonly PatternItem[][];
}

export function validateHandlers(handlers: readonly ValidateHandler[]): string[] {
  const problems: string[] = [];
  const all: Array<[string, readonly PatternItem[]]> = [];
  for (const h of handlers) {
    for (const [i, p] of h.patterns.entries()) all.push([p, h.patternItems[i]!]);
  }
  const unique = new Map<string, readonly PatternItem[]>();
  for (const [p, items] of all) {
    if (unique.has(p)) problems.push(`duplicate pattern: \`${p}\``);
    else unique.set(p, items);
  }
  const distinct = [...unique];
  for (let a = 0; a < distinct.length; a++) {
    for (let b = a + 1; b < distinct.length; b++) {
      const [pa, ia] = distinct[a]!;
      const [pb, ib] = distinct[b]!;
      if (ambiguous(ia, ib)) problems.push(`ambiguous patterns: \`${pa}\` and \`${pb}\``);
    }
  }
  return problems;
}

const WILD = ItemType.string | ItemType.list | ItemType.command;

/** Values an item accepts at its position; '*' = anything; '' = absent (optional). */
function values(item: PatternItem): string[] {
  const vals = item.type & WILD ? ['*'] : item.type & ItemType.choice ? item.options : [item.text];
  return item.type & ItemType.optional ? [...vals, ''] : vals;
}

function ambiguous(a: readonly PatternItem[], b: readonly PatternItem[]): boolean {
  for (let i = 0; ; i++) {
    const x = a[i];
    const y = b[i];
    if (!x && !y) return true;
    if (!x) return (y!.type & ItemType.optional) !== 0;
    if (!y) return (x.type & ItemType.optional) !== 0;
    if (x.type & ItemType.optional && y.type & ItemType.optional) return true;
    if (x.type & ItemType.list || y.type & ItemType.list) return true;
    const vx = values(x);
    const vy = values(y);
    const overlap = vx.some((v) => v === '*' || vy.includes('*') || vy.includes(v));
    if (!overlap) return false;
  }
}
