// `minimega -e`'s output: straight to file descriptors 1 and 2 with
// fs.writeSync. process.stdout would be the same synchronous write on
// Linux (files, pipes and terminals), but making it loads Node's stream
// modules (and net, for a pipe or a terminal) at every `-e`.
import { writeSync } from 'node:fs';
import type { TextSink } from './print.js';

/** Blocks this thread for `ms` (no event loop turn: the write must finish first). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * A sink writing every byte to `fd`, in order, before returning. A descriptor
 * someone left non-blocking (EAGAIN) is waited on; `onClosed` runs when the
 * reader went away (EPIPE) and nothing more is written.
 */
export function fdSink(fd: number, onClosed: () => void): TextSink {
  let closed = false;
  return {
    write(text: string) {
      if (closed || text === '') return;
      // the text as it is first: a write almost always takes all of it, and
      // then no Buffer is made (Buffer.from and subarray are Node functions
      // -e would compile at every start); bytes only for what a short write left
      let rest: string | Buffer = text;
      while (rest.length > 0) {
        try {
          if (typeof rest === 'string') {
            const n: number = writeSync(fd, rest);
            rest = n === Buffer.byteLength(rest) ? '' : Buffer.from(rest).subarray(n);
          } else rest = rest.subarray(writeSync(fd, rest));
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EAGAIN') {
            pause(1);
            continue;
          }
          if (code === 'EPIPE') {
            closed = true;
            onClosed();
            return;
          }
          throw e;
        }
      }
    },
  };
}
