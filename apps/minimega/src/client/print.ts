// Printing replies the way miniclient's RunAndPrint does: Rendered to stdout
// (with a newline, when non-empty), then the errors to stderr.
import { replyErrors, type WireReply } from '../protocol/wire.js';

/** Where printed text goes: process.stdout, or -e's file-descriptor sink (fd-out.ts). */
export interface TextSink {
  write(text: string): unknown;
}

/** Returns true when the reply carried an error. */
export function printReply(r: WireReply, out: TextSink, err: TextSink): boolean {
  if (r.Rendered) out.write(r.Rendered.endsWith('\n') ? r.Rendered : `${r.Rendered}\n`);
  const e = replyErrors(r);
  if (e) err.write(`${e}\n`);
  return e !== '';
}
