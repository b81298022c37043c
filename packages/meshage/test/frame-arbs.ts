// What the framing tests (FrameDecoder, FrameReader) feed both readers: the
// wire bytes of some frames, and frames of every kind a link carries — large
// raw data (bigger than a pooled buffer), small raw data, msgpack objects.
import fc from 'fast-check';
import { framePieces } from '../src/framing.js';

/** the bytes a link writes for `frames`, back to back */
export const wireOf = (frames: unknown[]) => Buffer.concat(frames.flatMap((f) => framePieces(f)));

export const frameArb = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 300_000 }).map((u) => Buffer.from(u)),
  fc.uint8Array({ minLength: 1, maxLength: 40 }).map((u) => Buffer.from(u)),
  fc.record({ t: fc.string(), n: fc.integer(), b: fc.uint8Array({ maxLength: 50 }) }),
);

/** a frame as toEqual compares it: raw bytes as a plain Buffer (pooled views differ in type) */
export const comparable = (f: unknown): unknown => (f instanceof Uint8Array ? Buffer.from(f) : f);
