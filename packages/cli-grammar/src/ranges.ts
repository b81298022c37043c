// Host ranges (meshage.md §12): `kn[1-3,7]` ⇄ kn1 kn2 kn3 kn7.
//
// Differences from minimega's pkg/ranges, on purpose:
// - unsplitList keeps every name: a number that is a prefix of a longer one
//   (kn1 and kn10) is no longer dropped, and zero padding is preserved
//   (kn01,kn02 → kn[01-02]; kn01 and kn1 stay distinct);
// - splitList also accepts text after `]` and several bracket groups in one
//   element (`foo[1-2].bar[3-4]`), which unsplitList produces, so that
//   splitList(unsplitList(x)) is always x.
import { RangeSyntaxError } from './errors.js';

const MAX_VALUE = 2147483647;
/** refuse absurd expansions instead of exhausting memory */
const MAX_NAMES = 1_000_000;

/** Expand a comma-separated list of names and ranges. */
export function splitList(s: string): string[] {
  const elems: string[] = [];
  let cur = '';
  let open = -1;
  const chars = Array.from(s);
  chars.forEach((c, i) => {
    if (c === '[') {
      if (open >= 0) throw new RangeSyntaxError(`nested '[' at char ${i}`);
      open = i;
    } else if (c === ']') {
      if (open < 0) throw new RangeSyntaxError(`unmatched ']' at char ${i}`);
      open = -1;
    } else if (c === ',' && open < 0) {
      elems.push(cur);
      cur = '';
      return;
    }
    cur += c;
  });
  if (open >= 0) throw new RangeSyntaxError(`unterminated '['`);
  if (cur !== '') elems.push(cur);

  const out: string[] = [];
  for (const e of elems) {
    for (const name of expandElement(e)) {
      out.push(name);
      if (out.length > MAX_NAMES)
        throw new RangeSyntaxError(`range expands to more than ${MAX_NAMES} names`);
    }
  }
  return out;
}

/** One element: literal text and bracket groups, expanded as a product. */
function expandElement(e: string): string[] {
  if (!e.includes('[')) return [e];
  let names = [''];
  let rest = e;
  while (rest !== '') {
    const open = rest.indexOf('[');
    if (open < 0) {
      names = names.map((n) => n + rest);
      break;
    }
    const close = rest.indexOf(']', open);
    if (close < 0) throw new RangeSyntaxError('invalid range specification');
    const lit = rest.slice(0, open);
    const nums = expandGroup(rest.slice(open + 1, close));
    if (names.length * nums.length > MAX_NAMES) {
      throw new RangeSyntaxError(`range expands to more than ${MAX_NAMES} names`);
    }
    names = names.flatMap((n) => nums.map((x) => n + lit + x));
    rest = rest.slice(close + 1);
  }
  return names;
}

function atoi(s: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) {
    throw new RangeSyntaxError(`strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  }
  const v = Number(s);
  if (v < 0 || v > MAX_VALUE) throw new RangeSyntaxError(`value of out range: ${s}`);
  return v;
}

/** The inside of one `[...]`: sorted, de-duplicated, padded when every part has one width. */
function expandGroup(inside: string): string[] {
  const strs: string[] = [];
  const values = new Set<number>();
  for (const part of inside.split(',')) {
    if (part.includes('-')) {
      const bounds = part.split('-');
      if (bounds.length !== 2) throw new RangeSyntaxError(`invalid subrange ${part}`);
      const [a, b] = bounds as [string, string];
      const lo = atoi(a);
      const hi = atoi(b);
      if (hi - lo + 1 > MAX_NAMES)
        throw new RangeSyntaxError(`range expands to more than ${MAX_NAMES} names`);
      const width = a.length === b.length ? a.length : 0;
      for (let v = lo; v <= hi; v++) {
        strs.push(String(v).padStart(width, '0'));
        values.add(v);
      }
    } else {
      atoi(part);
      strs.push(part);
      values.add(Number(part));
    }
  }
  const first = strs[0];
  const width =
    first !== undefined && strs.every((x) => x.length === first.length) ? first.length : 0;
  return [...values].sort((x, y) => x - y).map((v) => String(v).padStart(width, '0'));
}

interface CharNode {
  terminal: boolean;
  children: Map<string, CharNode>;
}

const isDigit = (c: string): boolean => c >= '0' && c <= '9';

/** Compress names into ranges: {kn1,…,kn10} → `kn[1-10]`. */
export function unsplitList(names: readonly string[]): string {
  const root: CharNode = { terminal: false, children: new Map() };
  for (const name of names) {
    let node = root;
    for (const c of name) {
      let next = node.children.get(c);
      if (!next) {
        next = { terminal: false, children: new Map() };
        node.children.set(c, next);
      }
      node = next;
    }
    node.terminal = true;
  }
  return flatten(root, true).join(',');
}

/**
 * Every compressed suffix below `node`. With `digits` false (a node reached
 * through a digit run) the node's own digit children are left out: longer
 * runs are gathered by the caller, so each name is produced exactly once.
 */
function flatten(node: CharNode, digits: boolean): string[] {
  const out: string[] = [];
  if (node.terminal) out.push('');
  const keys = [...node.children.keys()].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  for (const c of keys) {
    if (isDigit(c)) continue;
    for (const s of flatten(node.children.get(c)!, true)) out.push(c + s);
  }
  if (!digits) return out;

  // digit string → suffixes after it, for every run ending before a non-digit or the end
  const runs: Array<[string, string[]]> = [];
  const walk = (n: CharNode, run: string): void => {
    if (run !== '' && (n.terminal || [...n.children.keys()].some((c) => !isDigit(c)))) {
      runs.push([run, flatten(n, false)]);
    }
    for (const [c, child] of n.children) if (isDigit(c)) walk(child, run + c);
  };
  walk(node, '');

  // group numbers by suffix, then by padding class
  const bySuffix = new Map<string, string[]>();
  for (const [run, suffixes] of runs) {
    for (const s of suffixes) {
      const g = bySuffix.get(s);
      if (g) g.push(run);
      else bySuffix.set(s, [run]);
    }
  }
  for (const suffix of [...bySuffix.keys()].sort(compareStrings)) {
    for (const group of paddingGroups(bySuffix.get(suffix)!)) {
      for (const c of compress(group)) out.push(c + suffix);
    }
  }
  return out;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Split digit strings into groups a bracket can express: natural numbers,
 * and zero-padded numbers per width (natural numbers of that width join it,
 * so kn01…kn10 becomes kn[01-10]).
 */
function paddingGroups(runs: string[]): string[][] {
  const padded = new Map<number, string[]>();
  for (const r of runs) {
    if (r.length > 1 && r[0] === '0') {
      const g = padded.get(r.length);
      if (g) g.push(r);
      else padded.set(r.length, [r]);
    }
  }
  const natural: string[] = [];
  for (const r of runs) {
    if (r.length > 1 && r[0] === '0') continue;
    const g = padded.get(r.length);
    if (g) g.push(r);
    else natural.push(r);
  }
  const groups = natural.length > 0 ? [natural] : [];
  for (const w of [...padded.keys()].sort((a, b) => a - b)) groups.push(padded.get(w)!);
  return groups;
}

/** `[1-3,5]` for a group of same-padding digit strings; one string stays bare. */
function compress(group: string[]): string[] {
  if (group.length === 1) return [group[0]!];
  // numbers a bracket cannot hold are written one by one
  if (group.some((r) => r.length > 10 || Number(r) > MAX_VALUE)) return [...group].sort(byValue);
  const width = group.some((r) => r.length > 1 && r[0] === '0') ? group[0]!.length : 0;
  const vals = group.map(Number).sort((a, b) => a - b);
  const fmt = (v: number): string => String(v).padStart(width, '0');
  const parts: string[] = [];
  for (let i = 0; i < vals.length; ) {
    let j = i;
    while (j + 1 < vals.length && vals[j + 1] === vals[j]! + 1) j++;
    parts.push(j > i ? `${fmt(vals[i]!)}-${fmt(vals[j]!)}` : fmt(vals[i]!));
    i = j + 1;
  }
  return [`[${parts.join(',')}]`];
}

function byValue(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : compareStrings(a, b);
}
