// Reused part-sized buffers. A fresh multi-MiB Buffer costs far more than
// the copy into it (page faults on first touch, then GC pressure from the
// external memory), so part data lands in, and is served from, buffers that
// are taken and given back. Spares are dropped after a quiet spell, so an
// idle daemon does not hold them.
//
// The buffers are page-aligned (each one a WebAssembly memory: V8 maps those
// on page boundaries, while Buffer.allocUnsafe gives malloc's 16-byte
// alignment), so parts can be written and read with O_DIRECT (see fsio.ts).

const IDLE_MS = 10_000;
/** alignment O_DIRECT needs of memory, offsets and lengths (≥ any logical block size) */
export const DIRECT_ALIGN = 4096;
const WASM_PAGE = 65_536;

/** the one WebAssembly API used (not in the project's TS libs) */
const wasm = (
  globalThis as {
    WebAssembly?: {
      Memory: new (d: { initial: number; maximum: number }) => { buffer: ArrayBuffer };
    };
  }
).WebAssembly;

/** ArrayBuffers whose first byte is page-aligned */
const aligned = new WeakSet<ArrayBufferLike>();

/** a buffer of `size` bytes whose memory starts on a page boundary (plain Buffer when WebAssembly is unavailable) */
export function alignedBuffer(size: number): Buffer {
  if (size > 0 && wasm) {
    try {
      const pages = Math.ceil(size / WASM_PAGE);
      const mem = new wasm.Memory({ initial: pages, maximum: pages });
      aligned.add(mem.buffer);
      return Buffer.from(mem.buffer, 0, size);
    } catch {
      // no wasm memory (jitless, address space): unaligned, buffered I/O only
    }
  }
  return Buffer.allocUnsafe(size);
}

/** `b` may be used for O_DIRECT I/O (page-aligned memory and length) */
export function isAligned(b: Uint8Array): boolean {
  return (
    aligned.has(b.buffer) && b.byteOffset % DIRECT_ALIGN === 0 && b.length % DIRECT_ALIGN === 0
  );
}

export class BufferPool {
  #free: Buffer[] = [];
  #used = 0;
  #timer: NodeJS.Timeout | undefined;
  /** the whole buffers this pool made */
  readonly #mine = new WeakSet<ArrayBufferLike>();

  constructor(
    readonly size: number,
    /** spare buffers kept at most */
    readonly keep = 8,
  ) {}

  /** spare buffers held now */
  get spares(): number {
    return this.#free.length;
  }

  /** a buffer of `length` bytes (a view of a pooled one when ≤ size); give it back with release() */
  take(length: number): Buffer {
    this.#used++;
    if (length > this.size) return Buffer.allocUnsafe(length);
    let b = this.#free.pop();
    if (!b) {
      b = alignedBuffer(this.size);
      this.#mine.add(b.buffer);
    }
    return b.subarray(0, length);
  }

  /** return a buffer from take(); the caller never touches it afterwards */
  release(b: Buffer): void {
    if (!this.#mine.has(b.buffer) || b.byteOffset !== 0) return;
    if (this.#free.length >= this.keep) return;
    this.#free.push(Buffer.from(b.buffer, 0, this.size));
    this.#timer ??= this.#arm();
  }

  #arm(): NodeJS.Timeout {
    const seen = this.#used;
    const t = setTimeout(() => {
      this.#timer = undefined;
      if (this.#used === seen) this.#free = [];
      else this.#timer = this.#arm();
    }, IDLE_MS);
    t.unref();
    return t;
  }
}
