// Length-delimited framing for TCP links: a 4-byte big-endian length, then
// one msgpackr value. A frame that is raw bytes (a sealed frame of a private
// link) skips msgpack: the length's top bit marks it and the receiver gets
// the bytes as they are (no encode/decode copies on the bulk data path). The decoder rejects oversize lengths before buffering
// them, so garbage on the port cannot make a node allocate unbounded memory.
import { decode, encode } from './codec.js';
import { FrameError } from './errors.js';

export const DEFAULT_MAX_FRAME = 16 * 1024 * 1024;
/** largest frame before a link's handshake is over (handshake messages are small) */
export const HANDSHAKE_MAX_FRAME = 64 * 1024;
const RAW = 0x8000_0000;

/** the frame's header and body (written back to back; no joining copy) */
export function framePieces(value: unknown): [Buffer, Uint8Array] {
  const raw = value instanceof Uint8Array;
  const payload = raw ? value : encode(value);
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE((payload.length | (raw ? RAW : 0)) >>> 0, 0);
  return [head, payload];
}

/** the 4-byte header of a raw frame of `length` bytes (its pieces follow) */
export function rawFrameHead(length: number): Buffer {
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE((length | RAW) >>> 0, 0);
  return head;
}

export function encodeFrame(value: unknown): Buffer {
  return Buffer.concat(framePieces(value));
}

export class FrameDecoder {
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** length of the frame being received (known once its header arrived) */
  #need = -1;
  #raw = false;

  constructor(private maxFrame = DEFAULT_MAX_FRAME) {}

  /** change the largest accepted frame (applies to frames not yet started) */
  setMax(bytes: number): void {
    this.maxFrame = bytes;
  }

  /**
   * Feed bytes; returns the complete frames (or hands each to `each` as soon
   * as it is complete). Throws FrameError on bad input.
   * Chunks are joined only once a whole frame is there (a big frame arriving
   * in many small chunks costs linear, not quadratic, time).
   */
  push(chunk: Buffer, each?: (frame: unknown) => void): unknown[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const out: unknown[] = [];
    for (;;) {
      if (this.#need < 0) {
        if (this.#buffered < 4) break;
        const word = this.#head();
        this.#raw = (word & RAW) !== 0;
        const len = (word & ~RAW) >>> 0;
        if (len === 0 || len > this.maxFrame) {
          throw new FrameError(`frame length ${len} outside 1..${this.maxFrame}`);
        }
        this.#need = len;
      }
      if (this.#buffered < 4 + this.#need) break;
      const buf = this.#flatten();
      const len = this.#need;
      this.#need = -1;
      let value: unknown;
      try {
        // a raw frame is handed out as a view of the receive buffer, which is never reused
        value = this.#raw ? buf.subarray(4, 4 + len) : decode(buf.subarray(4, 4 + len));
      } catch (err) {
        throw new FrameError(`undecodable frame: ${err instanceof Error ? err.message : err}`);
      }
      const rest = buf.subarray(4 + len);
      this.#chunks = rest.length ? [rest] : [];
      this.#buffered = rest.length;
      // one at a time when asked: handling a frame may change the limit for the next
      if (each) each(value);
      else out.push(value);
    }
    return out;
  }

  /** the 4-byte length at the front (joining at most the first few chunks) */
  #head(): number {
    const first = this.#chunks[0] as Buffer;
    if (first.length >= 4) return first.readUInt32BE(0);
    const head = Buffer.concat(this.#chunks).subarray(0, 4);
    return head.readUInt32BE(0);
  }

  #flatten(): Buffer {
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0] ?? Buffer.alloc(0);
  }
}
