// Splits a byte stream into top-level JSON texts (Go's json.Decoder accepts
// any whitespace between values). It only finds value boundaries (braces,
// brackets and strings); parsing and validation happen on each piece, so a
// malformed value costs one error reply and the stream resynchronises at the
// next value.

export class FrameTooLargeError extends Error {
  readonly code = 'ERR_FRAME_TOO_LARGE' as const;
}

export interface JsonStreamOptions {
  /** largest single value accepted (default 16 MiB) */
  maxFrame?: number;
}

export class JsonStreamSplitter {
  private buf = '';
  /** scan position inside buf */
  private pos = 0;
  /** start of the value being scanned, -1 between values */
  private start = -1;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** scanning a bare token (number, literal or garbage) */
  private bare = false;
  private readonly maxFrame: number;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(opts: JsonStreamOptions = {}) {
    this.maxFrame = opts.maxFrame ?? 16 * 1024 * 1024;
  }

  /** Feed bytes; returns each complete top-level JSON text found. Throws FrameTooLargeError. */
  push(chunk: Uint8Array | string): string[] {
    this.buf += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const out: string[] = [];
    const b = this.buf;
    let i = this.pos;
    for (; i < b.length; i++) {
      const c = b.charCodeAt(i);
      if (this.start < 0) {
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
        this.start = i;
        this.depth = 0;
        this.inString = false;
        this.escaped = false;
        this.bare = false;
        if (c === 0x7b || c === 0x5b) this.depth = 1;
        else if (c === 0x22) this.inString = true;
        else this.bare = true;
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c) this.escaped = true;
        else if (c === 0x22) {
          this.inString = false;
          if (this.depth === 0) {
            out.push(b.slice(this.start, i + 1));
            this.start = -1;
          }
        }
        continue;
      }
      if (this.bare) {
        // a bare token ends at whitespace or at the start of another value
        if (
          c === 0x20 ||
          c === 0x0a ||
          c === 0x0d ||
          c === 0x09 ||
          c === 0x7b ||
          c === 0x5b ||
          c === 0x22
        ) {
          out.push(b.slice(this.start, i));
          this.start = -1;
          i--; // rescan this character as the start of the next value
        }
        continue;
      }
      if (c === 0x22) this.inString = true;
      else if (c === 0x7b || c === 0x5b) this.depth++;
      else if (c === 0x7d || c === 0x5d) {
        this.depth--;
        if (this.depth === 0) {
          out.push(b.slice(this.start, i + 1));
          this.start = -1;
        }
      }
    }
    // drop what was consumed
    if (this.start < 0) {
      this.buf = '';
      this.pos = 0;
    } else {
      this.buf = b.slice(this.start);
      this.pos = i - this.start;
      this.start = 0;
      if (this.buf.length > this.maxFrame) {
        this.reset();
        throw new FrameTooLargeError(`request larger than ${this.maxFrame} bytes`);
      }
    }
    return out;
  }

  /** Text of an unfinished value at end of stream (a bare token counts as complete). */
  end(): string | undefined {
    if (this.start < 0) return undefined;
    const rest = this.buf.slice(this.start);
    this.reset();
    return rest;
  }

  /** true when the stream is between values */
  get idle(): boolean {
    return this.start < 0;
  }

  private reset(): void {
    this.buf = '';
    this.pos = 0;
    this.start = -1;
  }
}
