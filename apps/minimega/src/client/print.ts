// Printing replies the way miniclient's RunAndPrint does: Rendered to stdout
// (with a newline, when non-empty), then the errors to stderr.
import type { Writable } from 'node:stream';
import { replyErrors, type WireReply } from '../protocol/wire.js';

/** Returns true when the reply carried an error. */
export function printReply(r: WireReply, out: Writable, err: Writable): boolean {
  if (r.Rendered) out.write(r.Rendered.endsWith('\n') ? r.Rendered : `${r.Rendered}\n`);
  const e = replyErrors(r);
  if (e) err.write(`${e}\n`);
  return e !== '';
}
