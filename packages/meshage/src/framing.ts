// Length-delimited framing for TCP links: a 4-byte big-endian length, then
// one msgpackr value. The decoder rejects oversize lengths before buffering
// them, so garbage on the port cannot make a node allocate unbounded memory.
import { decode, encode } from './codec.js';
import { FrameError } from './errors.js';

export const DEFAULT_MAX_FRAME = 16 * 1024 * 1024;

export function encodeFrame(value: unknown): Buffer {
  const payload = encode(value);
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(payload.length, 0);
  return Buffer.concat([head, payload]);
}

export class FrameDecoder {
  #chunks: Buffer[] = [];
  #buffered = 0;

  constructor(private readonly maxFrame = DEFAULT_MAX_FRAME) {}

  /** Feed bytes; returns the complete frames. Throws FrameError on bad input. */
  push(chunk: Buffer): unknown[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const out: unknown[] = [];
    for (;;) {
      if (this.#buffered < 4) break;
      const buf = this.#flatten();
      const len = buf.readUInt32BE(0);
      if (len === 0 || len > this.maxFrame) {
        throw new FrameError(`frame length ${len} outside 1..${this.maxFrame}`);
      }
      if (buf.length < 4 + len) break;
      let value: unknown;
      try {
        value = decode(buf.subarray(4, 4 + len));
      } catch (err) {
        throw new FrameError(`undecodable frame: ${err instanceof Error ? err.message : err}`);
      }
      out.push(value);
      const rest = buf.subarray(4 + len);
      this.#chunks = rest.length ? [rest] : [];
      this.#buffered = rest.length;
    }
    return out;
  }

  #flatten(): Buffer {
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0] ?? Buffer.alloc(0);
  }
}
