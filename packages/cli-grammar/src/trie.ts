// The pattern trie (minicli.md §3–4): registration and matching of words.
import { ConflictError } from './errors.js';
import { ItemType, isChoice, isLiteral, isOptional, type PatternItem } from './pattern.js';

/** A handler as the trie sees it (the Cli's registered handler). */
export interface TrieHandler {
  readonly patterns: string[];
  readonly helpShort: string;
}

export interface TrieEdge<H extends TrieHandler> {
  type: number;
  value: string;
  node: TrieNode<H>;
}

export class TrieNode<H extends TrieHandler> {
  handler: H | undefined;
  readonly children = new Map<string, TrieEdge<H>>();

  /** Attach `h` along `items`; throws ConflictError when a node already has a handler. */
  add(items: readonly PatternItem[], h: H): void {
    const [first, ...rest] = items;
    if (first === undefined) {
      this.setHandler(h);
      return;
    }
    // An optional item may be absent: the handler also ends here.
    if (isOptional(first)) this.setHandler(h);
    const values = isLiteral(first) ? [first.text] : isChoice(first) ? first.options : [first.key];
    for (const value of values) {
      const k = `${first.type}:${value}`;
      let edge = this.children.get(k);
      if (!edge) {
        edge = { type: first.type, value, node: new TrieNode<H>() };
        this.children.set(k, edge);
      }
      edge.node.add(rest, h);
    }
  }

  private setHandler(h: H): void {
    if (this.handler !== undefined && this.handler !== h) {
      throw new ConflictError(
        `conflicting handlers: \`${this.handler.patterns.join('`, `')}\` and \`${h.patterns.join('`, `')}\``,
      );
    }
    this.handler = h;
  }
}

/** What matching produced at one level, before Command fields are filled in. */
export interface Match<H> {
  handler: H;
  stringArgs: Record<string, string>;
  boolArgs: Record<string, boolean>;
  listArgs: Record<string, string[]>;
  /** the nested command (command items) */
  sub?: unknown;
  /** formed only from full literal/choice words (the tie-break) */
  exact: boolean;
}

const BASE = ~ItemType.optional;

/**
 * Match `words[start..]` below `node`. `compileSub(i)` compiles `words[i..]`
 * as a nested `(command)` against the root, undefined when that fails.
 * Works on an offset, never on copies, so long lines stay linear.
 */
export function matchWords<H extends TrieHandler>(
  node: TrieNode<H>,
  words: readonly string[],
  start: number,
  compileSub: (start: number) => unknown | undefined,
): Match<H> | undefined {
  const word = words[start];
  if (word === undefined) {
    return node.handler ? newMatch(node.handler) : undefined;
  }
  const candidates: Match<H>[] = [];
  for (const edge of node.children.values()) {
    let m: Match<H> | undefined;
    switch (edge.type & BASE) {
      case ItemType.literal:
        if (!edge.value.startsWith(word)) continue;
        m = matchWords(edge.node, words, start + 1, compileSub);
        if (m) m.exact &&= edge.value === word;
        break;
      case ItemType.string:
        m = matchWords(edge.node, words, start + 1, compileSub);
        if (m) m.stringArgs[edge.value] = word;
        break;
      case ItemType.choice:
        if (!edge.value.startsWith(word)) continue;
        m = matchWords(edge.node, words, start + 1, compileSub);
        if (m) {
          m.boolArgs[edge.value] = true;
          m.exact &&= edge.value === word;
        }
        break;
      case ItemType.list:
        if (!edge.node.handler) continue;
        m = newMatch(edge.node.handler);
        m.listArgs[edge.value] = words.slice(start);
        break;
      case ItemType.command: {
        if (!edge.node.handler) continue;
        const sub = compileSub(start);
        if (sub === undefined) continue;
        m = newMatch(edge.node.handler);
        m.sub = sub;
        break;
      }
    }
    if (m) candidates.push(m);
  }
  if (candidates.length <= 1) return candidates[0];
  const exact = candidates.filter((c) => c.exact);
  // exactly one exact match breaks the tie; otherwise the input is ambiguous
  return exact.length === 1 ? exact[0] : undefined;
}

function newMatch<H>(handler: H): Match<H> {
  return { handler, stringArgs: {}, boolArgs: {}, listArgs: {}, exact: true };
}

/** Every handler below `node` that help for `words` should consider (minicli.md §8). */
export function helpHandlers<H extends TrieHandler>(
  node: TrieNode<H>,
  words: readonly string[],
  into: Set<H> = new Set(),
): Set<H> {
  const [word, ...rest] = words;
  if (word === undefined) {
    if (node.handler) into.add(node.handler);
    for (const edge of node.children.values()) helpHandlers(edge.node, [], into);
    return into;
  }
  for (const edge of node.children.values()) {
    const base = edge.type & BASE;
    if (base === ItemType.literal || base === ItemType.choice) {
      // minimega compares the raw type here, so optional choices never match
      if (edge.type !== base) continue;
      if (edge.value.startsWith(word)) helpHandlers(edge.node, rest, into);
    } else if (base === ItemType.string) {
      helpHandlers(edge.node, rest, into);
    } else if (node.handler) {
      into.add(node.handler);
    }
  }
  return into;
}

/** Undo a partial registration: drop `h` everywhere and prune nodes left empty. */
export function removeHandler<H extends TrieHandler>(node: TrieNode<H>, h: H): void {
  if (node.handler === h) node.handler = undefined;
  for (const [k, edge] of node.children) {
    removeHandler(edge.node, h);
    if (!edge.node.handler && edge.node.children.size === 0) node.children.delete(k);
  }
}
