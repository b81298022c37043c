// Collects a child's stdout/stderr up to a byte limit. Past the limit the
// child is killed and the caller gets a clear error instead of a string too
// big to hold (a 100 MB `shell` output used to crash the daemon in the
// child-process library's formatting).
import type { Readable } from 'node:stream';

export class OutputTooLargeError extends Error {
  readonly code = 'ERR_OUTPUT_TOO_LARGE' as const;
  constructor(
    readonly what: string,
    readonly limit: number,
  ) {
    super(
      `${what} produced more than ${limit} bytes of output; stopped (raise the limit with -max-output)`,
    );
  }
}

export interface CappedStream {
  /** what arrived, when within the limit */
  text(): string;
  /** true once the limit was passed (the rest was dropped) */
  readonly over: boolean;
}

/** Reads `stream` keeping at most `limit` bytes; `onOver` runs once when it passes them. */
export function capStream(
  stream: Readable | null | undefined,
  limit: number,
  onOver: () => void,
): CappedStream {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  stream?.on('data', (c: Buffer) => {
    if (over) return;
    size += c.length;
    if (size > limit) {
      over = true;
      chunks.length = 0;
      onOver();
      return;
    }
    chunks.push(c);
  });
  return {
    text: () => Buffer.concat(chunks).toString('utf8'),
    get over() {
      return over;
    },
  };
}
