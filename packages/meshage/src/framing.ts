// Length-delimited framing for TCP links: a 4-byte big-endian length, then
// one msgpackr value. A frame that is raw bytes (a sealed frame of a private
// link) skips msgpack: the length's top bit marks it and the receiver gets
// the bytes as they are (no encode/decode copies on the bulk data path). The decoder rejects oversize lengths before buffering
// them, so garbage on the port cannot make a node allocate unbounded memory.
import { decode, encode, encodeAfter } from './codec.js';
import { FrameError } from './errors.js';
import { POOLED_FRAME, takeFrame } from './frame-pool.js';

export const DEFAULT_MAX_FRAME = 16 * 1024 * 1024;
/** largest frame before a link's handshake is over (handshake messages are small) */
export const HANDSHAKE_MAX_FRAME = 64 * 1024;
const RAW = 0x8000_0000;
/** a frame body at least this long is read straight into its own buffer */
const DIRECT_MIN = 16 * 1024;

/** the 4-byte header of a frame of `length` bytes (`raw`: bytes, not msgpack) */
function frameHead(length: number, raw: boolean): Buffer {
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE((length | (raw ? RAW : 0)) >>> 0, 0);
  return head;
}

/** the frame's header and body (written back to back; no joining copy) */
export function framePieces(value: unknown): [Buffer, Uint8Array] {
  const raw = value instanceof Uint8Array;
  const payload = raw ? value : encode(value);
  return [frameHead(payload.length, raw), payload];
}

/**
 * A whole frame in one buffer: a msgpack value is encoded after four free
 * bytes that take its header, so it goes out as one write. (Joining header
 * and encoding afterwards copied every request body once more, ~4% of a
 * private link's CPU for 64 KiB requests: a TLS socket seals one buffer per
 * write, and TLS links join what they send.) Raw bytes are copied once.
 */
export function frameBuffer(value: unknown): Buffer {
  if (value instanceof Uint8Array) return Buffer.concat(framePieces(value));
  const buf = encodeAfter(value, 4);
  buf.writeUInt32BE(buf.length - 4, 0);
  return buf;
}

/** the 4-byte header of a raw frame of `length` bytes (its pieces follow) */
export function rawFrameHead(length: number): Buffer {
  return frameHead(length, true);
}

/** a header word read off the wire: its body's length (checked against `max`) and kind */
function parseHead(word: number, max: number): { len: number; raw: boolean } {
  const len = (word & ~RAW) >>> 0;
  if (len === 0 || len > max) throw new FrameError(`frame length ${len} outside 1..${max}`);
  return { len, raw: (word & RAW) !== 0 };
}

/** raw frames from this long are received into pooled buffers */
const POOLED_MIN = 4096;

/**
 * whether a raw frame of `len` bytes is received into a pooled buffer
 * (stream data, sealed frames): page-aligned, so a short data frame (cut by
 * flow control) still keeps its part fit for O_DIRECT
 */
function pooled(raw: boolean, len: number): boolean {
  return raw && len >= POOLED_MIN && len <= POOLED_FRAME;
}

/** a frame's body as its consumer gets it: the bytes of a raw frame, else the msgpack value */
function frameValue(body: Buffer, raw: boolean): unknown {
  if (raw) return body;
  try {
    return decode(body);
  } catch (err) {
    throw new FrameError(`undecodable frame: ${err instanceof Error ? err.message : err}`);
  }
}

export function encodeFrame(value: unknown): Buffer {
  return frameBuffer(value);
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
        const { len, raw } = parseHead(this.#head(), this.maxFrame);
        this.#raw = raw;
        this.#need = len;
      }
      if (this.#buffered < 4 + this.#need) break;
      const len = this.#need;
      this.#need = -1;
      let value: unknown;
      if (pooled(this.#raw, len) && this.#chunks.length > 1) {
        // a large raw frame (stream data, a sealed frame) spread over reads:
        // copied into a pooled buffer its consumer may give back, not joined
        // into a fresh one (fresh buffers cost page faults and collections)
        value = this.#take(4 + len, takeFrame(len));
      } else {
        const buf = this.#flatten();
        // a raw frame is handed out as a view of the receive buffer, which is never reused
        value = frameValue(buf.subarray(4, 4 + len), this.#raw);
        const rest = buf.subarray(4 + len);
        this.#chunks = rest.length ? [rest] : [];
        this.#buffered = rest.length;
      }
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

  /** drop the first `n` buffered bytes, copying all but the 4-byte header into `into` */
  #take(n: number, into: Buffer): Buffer {
    let skip = 4;
    let at = 0;
    let left = n;
    while (left > 0) {
      const c = this.#chunks[0] as Buffer;
      const use = Math.min(c.length, left);
      if (use > skip) at += c.copy(into, at, skip, use);
      skip = Math.max(0, skip - use);
      left -= use;
      if (use === c.length) this.#chunks.shift();
      else this.#chunks[0] = c.subarray(use);
    }
    this.#buffered -= n;
    return into;
  }

  #flatten(): Buffer {
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0] ?? Buffer.alloc(0);
  }
}

const SCRATCH = 64 * 1024;
/** offered right after a direct read: the next frame's header and a little more */
const SCRATCH_AFTER_DIRECT = 4 * 1024;

/**
 * The same frames as FrameDecoder, for a socket that reads into buffers it
 * is given (`net.connect`'s `onread`): each frame gets a buffer of its own
 * size, and the bulk of a large frame is read by the kernel straight into
 * it. Node's default path reads into a fresh 64 KiB buffer per read and
 * FrameDecoder then joins those into the frame: two fresh allocations and a
 * copy per byte, which dominated the receive side of bulk streams.
 * Large raw frames (stream data) are read into pooled buffers that a
 * consumer may give back (recycleStreamChunk). Small frames and headers go
 * through one reused scratch buffer.
 */
export class FrameReader {
  readonly #scratch = Buffer.allocUnsafe(SCRATCH);
  /** bytes at the front of the scratch kept from the last read (part of a header) */
  #held = 0;
  /** the frame being filled */
  #body: Buffer | undefined;
  #bodyOff = 0;
  #raw = false;
  /** the buffer last offered is the body itself */
  #direct = false;
  #afterDirect = false;
  /** the last frame was bulk stream data: the next one likely is too */
  #bulk = false;
  #failed = false;
  #onFrame: (frame: unknown) => void;
  #onError: (err: FrameError) => void;
  #early: unknown[] = [];
  #earlyError: FrameError | undefined;

  constructor(private maxFrame = DEFAULT_MAX_FRAME) {
    // until a consumer attaches, frames are kept
    this.#onFrame = (f) => this.#early.push(f);
    this.#onError = (e) => {
      this.#earlyError = e;
    };
  }

  /** set where frames (one at a time, in order) and the first error go */
  attach(onFrame: (frame: unknown) => void, onError: (err: FrameError) => void): void {
    this.#onFrame = onFrame;
    this.#onError = onError;
    const early = this.#early;
    this.#early = [];
    for (const f of early) onFrame(f);
    if (this.#earlyError) onError(this.#earlyError);
  }

  /** change the largest accepted frame (applies to frames not yet started) */
  setMax(bytes: number): void {
    this.maxFrame = bytes;
  }

  /** where the next read lands (`onread.buffer`) */
  buffer(): Buffer {
    const body = this.#body;
    if (body && body.length - this.#bodyOff >= DIRECT_MIN) {
      this.#direct = true;
      return body.subarray(this.#bodyOff);
    }
    this.#direct = false;
    // between bulk frames only a header and a little more: the rest of a
    // frame's body read into the scratch would be copied into it
    const end = this.#afterDirect || this.#bulk ? this.#held + SCRATCH_AFTER_DIRECT : SCRATCH;
    return this.#scratch.subarray(this.#held, end);
  }

  /** `n` bytes were read into the last buffer() (`onread.callback`) */
  onRead(n: number): void {
    if (this.#failed) return;
    try {
      if (this.#direct) {
        this.#bodyOff += n;
        this.#afterDirect = true;
        if (this.#bodyOff === this.#body?.length) this.#finish();
        return;
      }
      this.#afterDirect = false;
      this.#parse(n);
    } catch (err) {
      // a bad header, or a consumer that threw: the link closes
      this.#fail(err);
    }
  }

  #parse(n: number): void {
    const s = this.#scratch;
    const end = this.#held + n;
    this.#held = 0;
    let off = 0;
    while (off < end && !this.#failed) {
      const body = this.#body;
      if (body) {
        const take = Math.min(end - off, body.length - this.#bodyOff);
        s.copy(body, this.#bodyOff, off, off + take);
        off += take;
        this.#bodyOff += take;
        if (this.#bodyOff === body.length) this.#finish();
        continue;
      }
      if (end - off < 4) {
        s.copy(s, 0, off, end);
        this.#held = end - off;
        break;
      }
      const { len, raw } = parseHead(s.readUInt32BE(off), this.maxFrame);
      off += 4;
      this.#raw = raw;
      this.#body = pooled(raw, len) ? takeFrame(len) : Buffer.allocUnsafe(len);
      this.#bodyOff = 0;
    }
  }

  #finish(): void {
    const body = this.#body as Buffer;
    this.#body = undefined;
    this.#bulk = pooled(this.#raw, body.length);
    let value: unknown;
    try {
      // the body is this frame's own buffer: a raw frame is handed out as it
      // is, and decoded values may keep views of it
      value = frameValue(body, this.#raw);
    } catch (err) {
      this.#fail(err);
      return;
    }
    this.#onFrame(value);
  }

  #fail(err: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#body = undefined;
    this.#onError(err instanceof FrameError ? err : new FrameError(String(err)));
  }
}
