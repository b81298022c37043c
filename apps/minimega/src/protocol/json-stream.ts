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
  /** pieces of the value being scanned that came in earlier chunks (joined once, when it ends) */
  private parts: string[] = [];
  private partsLength = 0;
  /** inside a value */
  private inValue = false;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** scanning a bare token (number, literal or garbage) */
  private bare = false;
  private readonly maxFrame: number;
  /** made on the first bytes pushed: `minimega -e` pushes decoded text and never loads TextDecoder */
  private decoder: InstanceType<typeof TextDecoder> | undefined;

  constructor(opts: JsonStreamOptions = {}) {
    this.maxFrame = opts.maxFrame ?? 16 * 1024 * 1024;
  }

  /**
   * Feed bytes; returns each complete top-level JSON text found. Throws
   * FrameTooLargeError. Each chunk is scanned once (the scan state carries
   * over), so a big value arriving in many chunks costs linear time.
   */
  push(chunk: Uint8Array | string): string[] {
    let b: string;
    if (typeof chunk === 'string') b = chunk;
    else {
      this.decoder ??= new TextDecoder('utf-8');
      b = this.decoder.decode(chunk, { stream: true });
    }
    const out: string[] = [];
    /** where the current value starts in this chunk (0 when it began in an earlier one) */
    let from = 0;
    const emit = (end: number) => {
      const piece = b.slice(from, end);
      out.push(this.parts.length > 0 ? this.parts.join('') + piece : piece);
      this.parts = [];
      this.partsLength = 0;
      this.inValue = false;
    };
    for (let i = 0; i < b.length; i++) {
      const c = b.charCodeAt(i);
      if (!this.inValue) {
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
        this.inValue = true;
        from = i;
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
          if (this.depth === 0) emit(i + 1);
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
          emit(i);
          i--; // rescan this character as the start of the next value
        }
        continue;
      }
      if (c === 0x22) this.inString = true;
      else if (c === 0x7b || c === 0x5b) this.depth++;
      else if (c === 0x7d || c === 0x5d) {
        this.depth--;
        if (this.depth === 0) emit(i + 1);
      }
    }
    if (this.inValue) {
      const rest = b.slice(from);
      this.parts.push(rest);
      this.partsLength += rest.length;
      if (this.partsLength > this.maxFrame) {
        this.reset();
        throw new FrameTooLargeError(`request larger than ${this.maxFrame} bytes`);
      }
    }
    return out;
  }

  /** Text of an unfinished value at end of stream (a bare token counts as complete). */
  end(): string | undefined {
    if (!this.inValue) return undefined;
    const rest = this.parts.join('');
    this.reset();
    return rest;
  }

  /** true when the stream is between values */
  get idle(): boolean {
    return !this.inValue;
  }

  private reset(): void {
    this.parts = [];
    this.partsLength = 0;
    this.inValue = false;
  }
}
