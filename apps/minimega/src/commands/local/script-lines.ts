// Lines of a script file, each at most `maxLine` bytes: a file with no
// newlines (or a binary one) cannot make `read` buffer without bound.
import type { Readable } from 'node:stream';

export class LineTooLongError extends Error {
  readonly code = 'ERR_LINE_TOO_LONG' as const;
  constructor(
    readonly line: number,
    readonly max: number,
  ) {
    super(`line ${line} is longer than ${max} bytes`);
  }
}

export async function* scriptLines(input: Readable, maxLine: number): AsyncGenerator<string> {
  let pending: Buffer[] = [];
  let size = 0;
  let lineNo = 0;
  for await (const chunk of input as AsyncIterable<Buffer>) {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      const part = chunk.subarray(start, nl);
      lineNo++;
      if (size + part.length > maxLine) throw new LineTooLongError(lineNo, maxLine);
      const line = Buffer.concat([...pending, part]).toString('utf8');
      pending = [];
      size = 0;
      start = nl + 1;
      yield line.endsWith('\r') ? line.slice(0, -1) : line;
    }
    const rest = chunk.subarray(start);
    size += rest.length;
    if (size > maxLine) throw new LineTooLongError(lineNo + 1, maxLine);
    if (rest.length > 0) pending.push(rest);
  }
  if (size > 0) {
    const line = Buffer.concat(pending).toString('utf8');
    yield line.endsWith('\r') ? line.slice(0, -1) : line;
  }
}
