// `.filter` and `.columns` (minicli.md §7): filter parsing, cell matching,
// and the apropos column lookup.

export interface Filter {
  /** lower-cased; may be a column prefix */
  col: string;
  /** lower-cased */
  val: string;
  negate: boolean;
  fuzzy: boolean;
}

const SEPARATORS: Array<[string, boolean, boolean]> = [
  // negated forms first so `a!=b` is not read as `a!` = `b`
  ['!~', true, true],
  ['~', false, true],
  ['!=', true, false],
  ['=', false, false],
];

export class FilterSyntaxError extends Error {
  readonly code = 'ERR_FILTER' as const;
  constructor() {
    super('invalid filter, see help');
  }
}

/** Parse `col=val`, `col!=val`, `col~val`, `col!~val`. */
export function parseFilter(s: string): Filter {
  for (const [sep, negate, fuzzy] of SEPARATORS) {
    const parts = s.split(sep);
    if (parts.length === 2) {
      return { col: parts[0]!.toLowerCase(), val: parts[1]!.toLowerCase(), negate, fuzzy };
    }
  }
  throw new FilterSyntaxError();
}

/** Does a cell pass the filter? Lists and objects (`[…]`, `{…}`) always match by substring. */
export function filterMatch(f: Filter, cell: string): boolean {
  const s = cell.toLowerCase();
  const fuzzy =
    f.fuzzy || (s.startsWith('[') && s.endsWith(']')) || (s.startsWith('{') && s.endsWith('}'));
  const match = s === f.val || (fuzzy && s.includes(f.val));
  return f.negate !== match;
}

export class ColumnError extends Error {
  readonly code = 'ERR_COLUMN' as const;
}

/** Apropos lookup: exact (case-insensitive) match wins, else a unique prefix. */
export function findColumn(headers: readonly string[], column: string): number {
  let found = -1;
  for (const [i, header] of headers.entries()) {
    const h = header.toLowerCase();
    if (h === column) return i;
    if (!h.startsWith(column)) continue;
    if (found >= 0) throw new ColumnError(`ambiguous column \`${column}\``);
    found = i;
  }
  if (found >= 0) return found;
  throw new ColumnError(`no such column \`${column}\``);
}
