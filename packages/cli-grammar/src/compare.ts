// Orderings that match Go's: byte-wise string comparison and the table-row
// comparison minimega sorts with.

/** Go's `a < b` on strings (UTF-8 byte order). */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  // UTF-16 code-unit order equals UTF-8 byte order unless a surrogate or a
  // char in U+E000–U+FFFF is involved; fall back to real bytes then.
  if (/[\ud800-\uffff]/.test(a) || /[\ud800-\uffff]/.test(b)) {
    return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  }
  return a < b ? -1 : 1;
}

const INT = /^[+-]?[0-9]+$/;
const MIN = -(2n ** 63n);
const MAX = 2n ** 63n - 1n;

/** Go strconv.Atoi (64-bit): the value, or undefined when it would fail. */
export function atoi(s: string): bigint | undefined {
  if (!INT.test(s)) return undefined;
  const v = BigInt(s);
  return v < MIN || v > MAX ? undefined : v;
}

/** minimega's row order: first differing column, numerically if both cells are integers. */
export function compareRows(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) {
    const x = a[k]!;
    const y = b[k]!;
    if (x === y) continue;
    const vx = atoi(x);
    const vy = atoi(y);
    if (vx !== undefined && vy !== undefined) {
      if (vx === vy) return 0; // e.g. "01" vs "1": neither is less, keep input order
      return vx < vy ? -1 : 1;
    }
    return compareBytes(x, y);
  }
  return 0;
}
