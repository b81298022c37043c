// zod schema of a request frame (daemon side). Go's decoder ignores unknown
// fields and missing ones are empty, so only types are checked.
import { z } from 'zod';

export const RequestSchema = z.object({
  Command: z.string().optional().default(''),
  Suggest: z.string().optional().default(''),
  PlumbPipe: z.string().optional().default(''),
});

export type ParsedRequest = z.infer<typeof RequestSchema>;

export type RequestParse = { ok: true; request: ParsedRequest } | { ok: false; error: string };

const PREVIEW = 60;

function preview(text: string): string {
  return text.length > PREVIEW
    ? `${JSON.stringify(text.slice(0, PREVIEW))}...`
    : JSON.stringify(text);
}

/** Parse one JSON text into a request, or say precisely what is wrong with it. */
export function parseRequest(text: string): RequestParse {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return {
      ok: false,
      error: `malformed request ${preview(text)}: invalid JSON (${(e as Error).message})`,
    };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    const kind = v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`;
    return {
      ok: false,
      error: `malformed request: expected an object {Command, Suggest, PlumbPipe}, got ${kind}`,
    };
  }
  const r = RequestSchema.safeParse(v);
  if (!r.success) {
    const why = r.error.issues
      .map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`)
      .join('; ');
    return { ok: false, error: `malformed request: ${why}` };
  }
  return { ok: true, request: r.data };
}
