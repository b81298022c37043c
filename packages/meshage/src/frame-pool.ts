// Reused receive buffers for large raw frames (stream data). A fresh buffer
// per frame costs far more than the bytes moved: page faults while the
// kernel fills it, then garbage collections driven by the external memory.
// A consumer that has copied a chunk out of a stream may hand it back with
// recycleStreamChunk(); the next frame is read into it. Chunks never handed
// back are simply garbage-collected. Spares go after a quiet spell.
// Buffers are page-aligned, so a consumer may write whole data frames to
// disk with O_DIRECT (isPageAligned) before handing them back.
import { alignedBuffer } from './aligned.js';

/** every pooled buffer: a stream data frame, sealed or not, fits */
export const POOLED_FRAME = 1024 * 1024 + 64;
/**
 * spares kept: a consumer writing frames to disk holds a few parts' worth at
 * once, and a server reads the parts it sends into these too. A buffer let go
 * and made again costs its pages' first touch, ~4.6 ms per MiB on these VMs
 * (more than everything else a MiB of stream data costs), so the pool keeps
 * what a busy node used until a quiet spell
 */
const KEEP = 96;
const IDLE_MS = 10_000;

let free: Buffer[] = [];
/** buffers handed out and not yet given back */
const lent = new WeakSet<ArrayBufferLike>();
let taken = 0;
let armed = false;

/** a buffer for a raw frame of `length` ≤ POOLED_FRAME bytes (a view of a pooled one) */
export function takeFrame(length: number): Buffer {
  taken++;
  const b = free.pop() ?? alignedBuffer(POOLED_FRAME);
  lent.add(b.buffer);
  return b.subarray(0, length);
}

/**
 * A pooled page-aligned buffer of `length` ≤ POOLED_FRAME bytes for data a
 * stream will send (a file part read from disk, say): the same buffers
 * received stream data lands in, so a node that both receives and serves
 * touches one set of pages. Give it back with recycleStreamChunk() once the
 * stream's write callback ran.
 */
export function takeStreamChunk(length: number): Buffer {
  if (!Number.isInteger(length) || length <= 0 || length > POOLED_FRAME) {
    throw new RangeError(`stream chunk of ${length} bytes (1..${POOLED_FRAME})`);
  }
  return takeFrame(length);
}

/**
 * Give back a chunk received from a mesh stream: the caller (and anything it
 * passed the chunk to) never reads it, or any view of it, again. Chunks that
 * did not come from this pool are ignored, as is a second release.
 */
export function recycleStreamChunk(chunk: Uint8Array): void {
  const ab = chunk.buffer;
  if (!lent.has(ab)) return;
  lent.delete(ab);
  if (free.length >= KEEP) return;
  free.push(Buffer.from(ab, 0, POOLED_FRAME));
  if (!armed) arm();
}

function arm(): void {
  armed = true;
  const seen = taken;
  setTimeout(() => {
    armed = false;
    if (taken === seen) free = [];
    else arm();
  }, IDLE_MS).unref();
}
