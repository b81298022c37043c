import type { Flags, Response } from './types.js';

/** minimega's process-wide defaults (minicli.md §1). */
export function defaultFlags(): Flags {
  return {
    annotate: true,
    compress: true,
    headers: true,
    sort: true,
    preprocess: true,
    record: true,
    mode: 'table',
  };
}

/** A full Response from a partial one (absent fields get their empty values). */
export function makeResponse(host: string, r: Partial<Response> = {}): Response {
  const out: Response = {
    host: r.host ?? host,
    response: r.response ?? '',
    header: r.header ?? null,
    tabular: r.tabular ?? null,
    error: r.error ?? '',
  };
  if (r.data !== undefined) out.data = r.data;
  if (r.flags !== undefined) out.flags = r.flags;
  return out;
}
