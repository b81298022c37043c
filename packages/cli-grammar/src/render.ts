// Rendering a batch to text (minicli.md §6): JSON, tables, CSV, compressed
// and plain simple output, and the separate error text.
import { compareBytes, compareRows } from './compare.js';
import { unsplitList } from './ranges.js';
import { tabwrite } from './tabwriter.js';
import type { Batch, Flags, Response } from './types.js';
import { toWire } from './wire.js';

/** Responses.String(): `defaults` fills batch[0].flags when unset (as minimega does). */
export function renderBatch(batch: Batch, defaults: Flags): string {
  const first = batch[0];
  if (!first) return '';
  if (!first.flags) first.flags = { ...defaults };
  const flags = first.flags;

  if (flags.mode === 'json') return renderJson(batch);

  const header = checkHeader(batch);
  if (typeof header === 'object' && header !== null && 'error' in header) return header.error;
  const shape = checkShape(batch, header);
  if (typeof shape === 'string') return shape;

  const count = batch.reduce((n, r) => n + (r.tabular?.length ?? 0), 0);
  let out: string;
  if (shape.tabular && count > 0) {
    out = renderRows(batch, header, flags);
  } else if (flags.compress && batch.length > 1) {
    out = renderCompressed(batch, flags.annotate);
  } else {
    out = '';
    for (const r of batch) {
      if (r.error === '' && r.response !== '') {
        out += (flags.annotate ? `${r.host}: ` : '') + r.response + '\n';
      }
    }
  }
  return out.trim();
}

/** Responses.Error(): one `Error (<host>): <err>` line per failed response. */
export function renderErrors(batch: Batch): string {
  return batch
    .filter((r) => r.error !== '')
    .map((r) => `Error (${r.host}): ${r.error}`)
    .join('\n')
    .trim();
}

/** Go json.Marshal of the batch: Go field names, null for nil, HTML-safe escapes. */
export function renderJson(batch: Batch): string {
  try {
    return goJsonEscape(JSON.stringify(batch.map(toWire)));
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Go's encoding/json escapes these even inside strings; they only occur inside strings. */
export function goJsonEscape(json: string): string {
  return json.replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

type HeaderCheck = string[] | null | { error: string };

function checkHeader(batch: Batch): HeaderCheck {
  const ref = batch.find((r) => r.error === '' && r.header !== null);
  if (!ref?.header) return null;
  const header = ref.header;
  for (const r of batch) {
    if (r.error !== '') continue;
    const h = r.header;
    if (!h || h.length !== header.length || h.some((x, i) => x !== header[i])) {
      return { error: `header mismatch, hosts: ${ref.host}, ${r.host}` };
    }
  }
  return header;
}

function checkShape(batch: Batch, header: string[] | null): { tabular: boolean } | string {
  let simple = false;
  let tabular = false;
  for (const r of batch) {
    if (r.error !== '') continue;
    if (r.tabular !== null) {
      tabular = true;
      if (header) {
        const bad = r.tabular.findIndex((row) => row.length !== header.length);
        if (bad >= 0) return `tabular width mismatch, host: ${r.host}, row: ${bad}`;
      }
    } else if (r.response !== '') {
      simple = true;
    }
  }
  if (simple && tabular) return 'responses mix simple and tabular data';
  return { tabular };
}

function renderRows(batch: Batch, header: string[] | null, flags: Flags): string {
  let head = header;
  if (flags.annotate) head = ['host', ...(header ?? [])];
  const rows: string[][] = [];
  for (const r of batch) {
    for (const row of r.tabular ?? []) rows.push(flags.annotate ? [r.host, ...row] : [...row]);
  }
  if (flags.sort) rows.sort(compareRows); // Array.prototype.sort is stable
  const shown = flags.headers && head ? [head, ...rows] : rows;
  return flags.mode === 'csv' ? renderCsv(shown) : renderTable(shown);
}

/** Table lines as minimega prints them: ` | ` separated, Go tabwriter aligned. */
export function renderTable(rows: readonly (readonly string[])[]): string {
  // minimega writes `cell\t| cell\t| cell\n`: the last cell is the unpadded one
  const lines = rows.map((row) => row.map((c, i) => (i === 0 ? c : `| ${c}`)));
  return tabwrite(lines, { minwidth: 5, tabwidth: 0, padding: 1, padchar: ' ' });
}

/** Go encoding/csv writer output for these records. */
export function renderCsv(rows: readonly (readonly string[])[]): string {
  return rows.map((row) => row.map(csvField).join(',') + '\n').join('');
}

const LEADING_SPACE = /^[\t\n\v\f\r \u0085\u00a0\p{Z}]/u;
function csvField(field: string): string {
  if (field === '') return field;
  const needs =
    field === '\\.' ||
    field.includes(',') ||
    field.includes('"') ||
    field.includes('\r') ||
    field.includes('\n') ||
    LEADING_SPACE.test(field);
  return needs ? `"${field.replaceAll('"', '""')}"` : field;
}

function renderCompressed(batch: Batch, annotate: boolean): string {
  const groups = new Map<string, Response[]>();
  for (const r of batch) {
    if (r.error !== '' || r.response === '') continue;
    const g = groups.get(r.response);
    if (g) g.push(r);
    else groups.set(r.response, [r]);
  }
  const byKey = new Map<string, string>();
  for (const [text, rs] of groups) {
    const key = rs.length === 1 ? rs[0]!.host : unsplitList(rs.map((r) => r.host));
    byKey.set(key, text);
  }
  let out = '';
  for (const key of [...byKey.keys()].sort(compareBytes)) {
    out += (annotate ? `${key}: ` : '') + byKey.get(key) + '\n';
  }
  return out;
}
