// Text formats of the mesh commands (meshage.md §10): Go-style integer and
// duration handling, the adjacency list and the Graphviz file.

/** Go strconv.ParseUint(s, 0, bits): base prefixes 0x/0o/0b/0, range check. */
export function parseGoUint(s: string, bits: number): number {
  const bad = (why: string) => new Error(`strconv.ParseUint: parsing ${JSON.stringify(s)}: ${why}`);
  let body = s;
  let base = 10;
  if (/^0[xX]/.test(body)) [base, body] = [16, body.slice(2)];
  else if (/^0[oO]/.test(body)) [base, body] = [8, body.slice(2)];
  else if (/^0[bB]/.test(body)) [base, body] = [2, body.slice(2)];
  else if (/^0./.test(body)) [base, body] = [8, body.slice(1)];
  if (base !== 10) body = body.replace(/_/g, '');
  const digits = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ }[base];
  if (!body || !digits?.test(body)) throw bad('invalid syntax');
  const n = Number.parseInt(body, base);
  if (n >= 2 ** bits) throw bad('value out of range');
  return n;
}

/** Go strconv.Atoi. */
export function parseGoInt(s: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) {
    throw new Error(`strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  }
  const n = Number(s);
  if (!Number.isSafeInteger(n)) {
    throw new Error(`strconv.Atoi: parsing ${JSON.stringify(s)}: value out of range`);
  }
  return n;
}

/** Go time.Duration.String() for whole seconds: 30s, 1m30s, 1h0m0s. */
export function goDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  const sign = seconds < 0 ? '-' : '';
  let s = Math.abs(seconds);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (h > 0) return `${sign}${h}h${m}m${s}s`;
  if (m > 0) return `${sign}${m}m${s}s`;
  return `${sign}${s}s`;
}

/** `mesh list`: each node, then ` |--neighbour` lines (sorted). */
export function adjacencyList(adj: ReadonlyMap<string, readonly string[]>): string {
  let out = '';
  for (const key of [...adj.keys()].sort()) {
    out += `${key}\n`;
    for (const n of [...(adj.get(key) ?? [])].sort()) out += ` |--${n}\n`;
  }
  return out;
}

/** A Graphviz ID: always quoted, so names with `-` or `.` stay valid. */
export function dotId(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * `mesh dot`: the original's layout (legend, red self, green others, each
 * edge once), with quoted names. Isolated nodes are not part of the
 * effective network, so an isolated node prints total=0 and no node line.
 */
export function meshDot(self: string, adj: ReadonlyMap<string, readonly string[]>): string {
  const effective = [...adj.entries()].filter(([, ns]) => ns.length > 0);
  effective.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  let out = `graph ${dotId(self)} {\nsize="8,11";\noverlap=false;\n`;
  out += `Legend [shape=box, shape=plaintext, label="total=${effective.length}"];\n`;
  const emitted = new Set<string>();
  for (const [node, ns] of effective) {
    const color = node === self ? 'red' : 'green';
    out += `${dotId(node)} [style=filled, color=${color}];\n`;
    for (const n of [...ns].sort()) {
      if (!emitted.has(n)) out += `${dotId(node)} -- ${dotId(n)}\n`;
    }
    out += '\n';
    emitted.add(node);
  }
  return `${out}}`;
}
