// Comparing a transcript with NAME.want: everything exact, except that an
// `E: ...` line only has to be matched by an `E: ...` line at the same place.

export interface Mismatch {
  /** 1-based line number */
  line: number;
  want: string | undefined;
  got: string | undefined;
}

function lines(text: string): string[] {
  const l = text.replace(/\n+$/, '').split('\n');
  return l.length === 1 && l[0] === '' ? [] : l;
}

export function linesMatch(want: string, got: string): boolean {
  if (want.startsWith('E: ') || want === 'E:') return got.startsWith('E: ') || got === 'E:';
  return want === got;
}

export function compareTranscript(want: string, got: string): Mismatch[] {
  const w = lines(want);
  const g = lines(got);
  const out: Mismatch[] = [];
  for (let i = 0; i < Math.max(w.length, g.length); i++) {
    const a = w[i];
    const b = g[i];
    if (a === undefined || b === undefined || !linesMatch(a, b))
      out.push({ line: i + 1, want: a, got: b });
  }
  return out;
}

type Op = { kind: ' ' | '-' | '+'; text: string; wantLine: number; gotLine: number };

/** Line diff (LCS, with E: lines matching any E: line), as unified-style hunks. */
export function formatDiff(
  want: string,
  got: string,
  _mismatches: Mismatch[] = [],
  context = 2,
): string {
  const w = lines(want);
  const g = lines(got);
  const n = w.length;
  const m = g.length;
  // lcs[i][j] = LCS length of w[i..] and g[j..]
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = linesMatch(w[i]!, g[j]!)
        ? lcs[i + 1]![j + 1]! + 1
        : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && linesMatch(w[i]!, g[j]!) && w[i] === g[j]) {
      ops.push({ kind: ' ', text: w[i]!, wantLine: i + 1, gotLine: j + 1 });
      i++;
      j++;
    } else if (
      i < n &&
      j < m &&
      linesMatch(w[i]!, g[j]!) &&
      lcs[i]![j] === lcs[i + 1]![j + 1]! + 1
    ) {
      // an E: line matched by a differently worded E: line: fine, show as context
      ops.push({ kind: ' ', text: g[j]!, wantLine: i + 1, gotLine: j + 1 });
      i++;
      j++;
    } else if (i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      ops.push({ kind: '-', text: w[i]!, wantLine: i + 1, gotLine: j + 1 });
      i++;
    } else {
      ops.push({ kind: '+', text: g[j]!, wantLine: i + 1, gotLine: j + 1 });
      j++;
    }
  }
  const show = new Set<number>();
  ops.forEach((op, k) => {
    if (op.kind !== ' ')
      for (let c = k - context; c <= k + context; c++) if (c >= 0 && c < ops.length) show.add(c);
  });
  const out: string[] = [];
  let last = -2;
  for (const k of [...show].sort((a, b) => a - b)) {
    const op = ops[k]!;
    if (k !== last + 1) out.push(`  @@ want line ${op.wantLine}, got line ${op.gotLine}`);
    last = k;
    out.push(`  ${op.kind} ${op.text}`);
  }
  return out.join('\n');
}
