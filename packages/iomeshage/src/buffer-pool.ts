// Reused part-sized buffers. A fresh multi-MiB Buffer costs far more than
// the copy into it (page faults on first touch, then GC pressure from the
// external memory), so part data lands in, and is served from, buffers that
// are taken and given back. Spares are dropped after a quiet spell, so an
// idle daemon does not hold them.
//
// The buffers are page-aligned (@mm/meshage alignedBuffer), so parts can be
// written and read with O_DIRECT (see fsio.ts).

import { alignedBuffer, isPageAligned, PAGE_ALIGN } from '@mm/meshage';

const IDLE_MS = 10_000;
/** alignment O_DIRECT needs of memory, offsets and lengths */
export const DIRECT_ALIGN = PAGE_ALIGN;

/** `b` may be used for O_DIRECT I/O (page-aligned memory and length: pool buffers, clear stream frames) */
export const isAligned = isPageAligned;

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
