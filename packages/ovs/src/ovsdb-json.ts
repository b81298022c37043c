// Decoding `ovs-vsctl --format=json list <Table>` output (OVSDB JSON
// notation: ["uuid",u], ["set",[...]], ["map",[[k,v]...]]; a one-element set
// is written as the bare element).
import { z } from 'zod';

const tableSchema = z.object({
  headings: z.array(z.string()),
  data: z.array(z.array(z.unknown())),
});

export type OvsdbRow = Record<string, unknown>;

/** Splits concatenated JSON tables (one per `list` command) into rows keyed by heading. */
export function parseOvsdbTables(text: string): OvsdbRow[][] {
  const out: OvsdbRow[][] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const t = tableSchema.parse(JSON.parse(line));
    out.push(t.data.map((row) => Object.fromEntries(t.headings.map((h, i) => [h, row[i]]))));
  }
  return out;
}

function isTagged(v: unknown, tag: string): v is [string, unknown] {
  return Array.isArray(v) && v.length === 2 && v[0] === tag;
}

export function atomUuid(v: unknown): string | undefined {
  return isTagged(v, 'uuid') ? String(v[1]) : undefined;
}

/** A set column as an array of atoms. */
export function ovsSet(v: unknown): unknown[] {
  if (isTagged(v, 'set')) return Array.isArray(v[1]) ? v[1] : [];
  return [v];
}

export function ovsUuids(v: unknown): string[] {
  return ovsSet(v)
    .map(atomUuid)
    .filter((u): u is string => u !== undefined);
}

export function ovsMap(v: unknown): Record<string, string> {
  if (!isTagged(v, 'map') || !Array.isArray(v[1])) return {};
  const out: Record<string, string> = {};
  for (const pair of v[1]) {
    if (Array.isArray(pair) && pair.length === 2) out[String(pair[0])] = String(pair[1]);
  }
  return out;
}

/** An optional integer column (empty set = undefined). */
export function ovsOptionalInt(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  const s = ovsSet(v);
  return typeof s[0] === 'number' ? s[0] : undefined;
}
