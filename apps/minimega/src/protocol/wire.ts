// minimega's control-socket protocol (daemon.md §3): a stream of JSON values
// each way, Go field names. Light on purpose: the client imports this (the
// grammar is imported for a type only, erased at run time).
import type { WireResponse } from '@mm/cli-grammar';

/** One host's answer, as minimega's minicli.Response marshals it (the grammar's wire form). */
export type WireResp = WireResponse;

/** client → daemon; all three fields are always sent */
export interface WireRequest {
  Command: string;
  Suggest: string;
  PlumbPipe: string;
}

/** daemon → client */
export interface WireReply {
  Resp: WireResp[] | null;
  Rendered: string;
  More: boolean;
  Status: boolean;
  /** omitted when empty */
  Suggest?: string[];
}

export function request(partial: Partial<WireRequest>): WireRequest {
  return {
    Command: partial.Command ?? '',
    Suggest: partial.Suggest ?? '',
    PlumbPipe: partial.PlumbPipe ?? '',
  };
}

export function reply(partial: Partial<WireReply>): WireReply {
  const r: WireReply = {
    Resp: partial.Resp ?? null,
    Rendered: partial.Rendered ?? '',
    More: partial.More ?? false,
    Status: partial.Status ?? false,
  };
  if (partial.Suggest && partial.Suggest.length > 0) r.Suggest = partial.Suggest;
  return r;
}

// Go's encoding/json escapes <, >, & and U+2028/2029 in strings.
const GO_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};
const GO_ESCAPE_RE = /[<>&\u2028\u2029]/g;
const GO_ESCAPE_TEST = /[<>&\u2028\u2029]/;

/** JSON text of a value as Go's json.Encoder writes it (with the trailing newline). */
export function encodeGo(value: unknown): string {
  const s = JSON.stringify(value);
  return (GO_ESCAPE_TEST.test(s) ? s.replace(GO_ESCAPE_RE, (c) => GO_ESCAPES[c]!) : s) + '\n';
}

/** Errors of a reply's responses, as minicli's Responses.Error(). */
export function replyErrors(r: WireReply): string {
  if (!r.Resp) return '';
  const out: string[] = [];
  for (const x of r.Resp) {
    if (x && typeof x.Error === 'string' && x.Error !== '')
      out.push(`Error (${x.Host}): ${x.Error}`);
  }
  return out.join('\n').trim();
}
