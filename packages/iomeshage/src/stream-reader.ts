// Exact-length reads from a byte stream that carries several request/response
// exchanges in turn (the stream is kept open between parts).
import type { Duplex } from 'node:stream';
import { recycleStreamChunk } from '@mm/meshage';

export class StreamReader {
  #chunks: Buffer[] = [];
  #buffered = 0;
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;

  constructor(readonly stream: Duplex) {
    stream.on('data', (c: Buffer) => {
      this.#chunks.push(c);
      this.#buffered += c.length;
      this.#notify();
    });
    stream.once('end', () => {
      this.#ended = true;
      this.#notify();
    });
    stream.once('close', () => {
      this.#ended = true;
      this.#notify();
    });
    stream.once('error', (e) => {
      this.#error = e;
      this.#notify();
    });
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
    // hold the producer while a large payload is assembled by the caller
  }

  /**
   * Exactly `n` bytes (into `into` when given: a buffer of at least `n`
   * bytes the caller reuses). At a clean end of stream before any byte:
   * undefined when `eofOk`, else an error; a stream that ends mid-read is an error.
   */
  async read(n: number, eofOk = false, into?: Buffer): Promise<Buffer | undefined> {
    while (this.#buffered < n) {
      if (this.#error) throw this.#error;
      if (this.#ended) {
        if (eofOk && this.#buffered === 0) return undefined;
        throw new Error(`stream ended after ${this.#buffered} of ${n} bytes`);
      }
      await new Promise<void>((r) => {
        this.#wake = r;
      });
    }
    const first = this.#chunks[0];
    if (!into && first && first.length >= n) {
      // within one chunk (headers): a view, no copy
      this.#buffered -= n;
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = into ? into.subarray(0, n) : Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = this.#chunks[0] as Buffer;
      const take = Math.min(c.length, n - off);
      c.copy(out, off, 0, take);
      off += take;
      if (take === c.length) {
        this.#chunks.shift();
        // copied out and never handed to anyone: the stream may read into it again
        recycleStreamChunk(c);
      } else this.#chunks[0] = c.subarray(take);
    }
    this.#buffered -= n;
    return out;
  }

  /**
   * Consume exactly `n` bytes as they arrive, in order: `fn(piece, own)` for
   * each piece. `own`: the piece is a whole received chunk handed over to
   * `fn`, which gives it back (recycleStreamChunk) once done with it, even
   * later; other pieces are valid only during the call. A stream that ends
   * or fails first is an error.
   */
  async consume(n: number, fn: (piece: Buffer, own: boolean) => void): Promise<void> {
    let left = n;
    while (left > 0) {
      while (this.#buffered === 0) {
        if (this.#error) throw this.#error;
        if (this.#ended) throw new Error(`stream ended after ${n - left} of ${n} bytes`);
        await new Promise<void>((r) => {
          this.#wake = r;
        });
      }
      const c = this.#chunks[0] as Buffer;
      if (c.length <= left) {
        this.#chunks.shift();
        this.#buffered -= c.length;
        left -= c.length;
        fn(c, true);
      } else {
        this.#chunks[0] = c.subarray(left);
        this.#buffered -= left;
        const piece = c.subarray(0, left);
        left = 0;
        fn(piece, false);
      }
    }
  }
}
