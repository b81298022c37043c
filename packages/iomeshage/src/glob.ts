// Go filepath.Glob semantics (iomeshage.md §2): `*` any run of characters but
// `/`, `?` one character, `[...]` classes with `^` negation and ranges, `\`
// escapes. A malformed pattern is the only error; no match is not one.
import { lstat, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { GlobSyntaxError } from './errors.js';
import { cleanRel, WORK_DIR } from './paths.js';

type Token =
  | { t: 'lit'; c: string }
  | { t: 'star' }
  | { t: 'any' }
  | { t: 'class'; neg: boolean; ranges: [number, number][] };

/** Go's hasMeta: does the pattern need matching rather than a lookup? */
export function hasMeta(p: string): boolean {
  return /[*?[\\]/.test(p);
}

/** Parse one path segment; throws GlobSyntaxError exactly where Go's path.Match reports ErrBadPattern. */
function tokenize(seg: string, whole: string): Token[] {
  const cs = Array.from(seg);
  const out: Token[] = [];
  let i = 0;
  const bad = () => new GlobSyntaxError(whole);
  // Go's getEsc: one (possibly escaped) class character, which must be followed by more pattern
  const esc = (): number => {
    let c = cs[i];
    if (c === undefined || c === '-' || c === ']') throw bad();
    if (c === '\\') {
      i++;
      c = cs[i];
      if (c === undefined) throw bad();
    }
    i++;
    if (i >= cs.length) throw bad();
    return c.codePointAt(0) as number;
  };
  while (i < cs.length) {
    const c = cs[i] as string;
    if (c === '*') {
      out.push({ t: 'star' });
      i++;
    } else if (c === '?') {
      out.push({ t: 'any' });
      i++;
    } else if (c === '\\') {
      const n = cs[i + 1];
      if (n === undefined) throw bad();
      out.push({ t: 'lit', c: n });
      i += 2;
    } else if (c === '[') {
      i++;
      let neg = false;
      if (cs[i] === '^') {
        neg = true;
        i++;
      }
      const ranges: [number, number][] = [];
      for (;;) {
        if (cs[i] === ']' && ranges.length > 0) {
          i++;
          break;
        }
        const lo = esc();
        let hi = lo;
        if (cs[i] === '-') {
          i++;
          hi = esc();
        }
        ranges.push([lo, hi]);
      }
      out.push({ t: 'class', neg, ranges });
    } else {
      out.push({ t: 'lit', c });
      i++;
    }
  }
  return out;
}

function toRegExp(tokens: Token[]): RegExp {
  const hex = (n: number) => `\\u{${n.toString(16)}}`;
  const src = tokens
    .map((k) => {
      switch (k.t) {
        case 'lit':
          return hex(k.c.codePointAt(0) as number);
        case 'star':
          return '[^/]*';
        case 'any':
          return '[^/]';
        case 'class': {
          // a range with lo > hi matches nothing (as in Go), so it is left out
          const body = k.ranges
            .filter(([lo, hi]) => lo <= hi)
            .map(([lo, hi]) => (lo === hi ? hex(lo) : `${hex(lo)}-${hex(hi)}`))
            .join('');
          return k.neg ? `[^${body}]` : `[${body}]`;
        }
        default:
          return '';
      }
    })
    .join('');
  return new RegExp(`^${src}$`, 'su');
}

/** A compiled single-segment pattern (no `/`). */
export function compileSegment(seg: string, whole = seg): (name: string) => boolean {
  const re = toRegExp(tokenize(seg, whole));
  return (name) => re.test(name);
}

/** Go path.Match for a whole pattern against a whole name (segments match one to one). */
export function match(pattern: string, name: string): boolean {
  const ps = pattern.split('/');
  const ns = name.split('/');
  const ms = ps.map((p) => compileSegment(p, pattern));
  return ps.length === ns.length && ms.every((m, i) => m(ns[i] as string));
}

/** Throws GlobSyntaxError when any segment of `pattern` is malformed (Go validates the whole pattern). */
export function validatePattern(pattern: string): void {
  for (const seg of pattern.split('/')) tokenize(seg, pattern);
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Expand `pattern` (relative to `base`, cleaned first so it cannot escape)
 * into absolute paths, sorted per directory as Go does. The transfer work
 * directory at the base's root is never matched.
 */
export async function glob(base: string, pattern: string): Promise<string[]> {
  const rel = cleanRel(pattern);
  validatePattern(rel);
  if (rel === '') return [base];
  const segs = rel.split('/');
  let current = [base];
  for (let k = 0; k < segs.length; k++) {
    const seg = segs[k] as string;
    const last = k === segs.length - 1;
    const next: string[] = [];
    for (const dir of current) {
      const atRoot = dir === base;
      if (!hasMeta(seg)) {
        if (atRoot && seg === WORK_DIR) continue;
        const p = join(dir, seg);
        try {
          await (last ? lstat(p) : stat(p));
          next.push(p);
        } catch {
          // no such entry: no match, not an error
        }
        continue;
      }
      if (!(await isDir(dir))) continue;
      const m = compileSegment(seg, rel);
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        continue; // Go's Glob ignores I/O errors
      }
      names.sort();
      for (const n of names) {
        if (atRoot && n === WORK_DIR) continue;
        if (m(n)) next.push(join(dir, n));
      }
    }
    current = next;
    if (current.length === 0) break;
  }
  return current;
}
