// Go-named wire form of a Response (minimega's JSON protocol).
import { z } from 'zod';
import type { Response, WireResponse } from './types.js';

export function toWire(r: Response): WireResponse {
  return {
    Host: r.host,
    Response: r.response,
    Header: r.header,
    Tabular: r.tabular,
    Error: r.error,
    Data: r.data ?? null,
  };
}

const nullableStrings = z.array(z.string()).nullable().optional();

/** Schema of one wire response; absent fields read as Go's zero values. */
export const wireResponseSchema = z.object({
  Host: z.string().optional(),
  Response: z.string().optional(),
  Header: nullableStrings,
  Tabular: z.array(z.array(z.string())).nullable().optional(),
  Error: z.string().optional(),
  Data: z.unknown().optional(),
});

/** Parse a wire response (validated; throws a ZodError naming the bad field). */
export function fromWire(w: unknown): Response {
  const v = wireResponseSchema.parse(w);
  const r: Response = {
    host: v.Host ?? '',
    response: v.Response ?? '',
    header: v.Header ?? null,
    tabular: v.Tabular ?? null,
    error: v.Error ?? '',
  };
  if (v.Data !== undefined && v.Data !== null) r.data = v.Data;
  return r;
}
