// FrameReader (a dialed TCP socket reading into buffers it is given) must
// yield exactly the frames FrameDecoder yields, however the kernel splits the
// bytes, and give pooled buffers back out for reuse.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { recycleStreamChunk } from '../src/frame-pool.js';
import { FrameDecoder, FrameReader } from '../src/framing.js';
import { comparable, frameArb, wireOf } from './frame-arbs.js';

/** feed `wire` to the reader as a socket would: each read fills at most `caps[i]` bytes of the offered buffer */
function feed(reader: FrameReader, wire: Buffer, caps: number[]): void {
  let off = 0;
  let i = 0;
  while (off < wire.length) {
    const into = reader.buffer();
    expect(into.length).toBeGreaterThan(0);
    const n = Math.min(into.length, wire.length - off, caps[i++ % caps.length] ?? 1);
    wire.copy(into, 0, off, off + n);
    off += n;
    reader.onRead(n);
  }
}

describe('FrameReader', () => {
  test('yields what FrameDecoder yields for any frames and any read sizes', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 400_000 }), { minLength: 1, maxLength: 10 }),
        (frames, caps) => {
          const wire = wireOf(frames);
          const want = new FrameDecoder().push(wire);
          const got: unknown[] = [];
          const reader = new FrameReader();
          reader.attach(
            (f) => got.push(comparable(f)),
            (e) => {
              throw e;
            },
          );
          feed(reader, wire, caps);
          expect(got).toEqual(want);
        },
      ),
      { numRuns: 60 },
    );
  });

  test('frames before attach are kept; an oversize frame is an error, and nothing after it is read', () => {
    const reader = new FrameReader(1000);
    feed(reader, wireOf([{ a: 1 }, Buffer.alloc(2000, 1), { b: 2 }]), [7]);
    const got: unknown[] = [];
    const errors: Error[] = [];
    reader.attach(
      (f) => got.push(f),
      (e) => errors.push(e),
    );
    expect(got).toEqual([{ a: 1 }]);
    expect(errors.map((e) => e.message)).toEqual(['frame length 2000 outside 1..1000']);
  });

  test('a large raw frame is read straight into its own buffer, and a recycled one is reused', () => {
    const reader = new FrameReader();
    const got: Buffer[] = [];
    reader.attach(
      (f) => got.push(f as Buffer),
      (e) => {
        throw e;
      },
    );
    const data = Buffer.alloc(256 * 1024, 9);
    feed(reader, wireOf([data]), [64 * 1024]);
    // after the header the rest lands in the frame's own buffer: the offered buffer was it
    expect(got).toHaveLength(1);
    expect(got[0]?.equals(data)).toBe(true);
    const first = got[0] as Buffer;
    recycleStreamChunk(first);
    recycleStreamChunk(first); // a second release is ignored
    feed(reader, wireOf([Buffer.alloc(200 * 1024, 3)]), [1 << 20]);
    expect(got[1]?.buffer).toBe(first.buffer);
    expect(got[1]?.equals(Buffer.alloc(200 * 1024, 3))).toBe(true);
    // a buffer that did not come from the pool is ignored
    recycleStreamChunk(Buffer.alloc(300 * 1024));
    feed(reader, wireOf([Buffer.alloc(100 * 1024, 4)]), [1 << 20]);
    expect(got[2]?.buffer).not.toBe(first.buffer);
  });

  test('a consumer that throws closes with an error instead of escaping into the socket', () => {
    const reader = new FrameReader();
    const errors: Error[] = [];
    reader.attach(
      () => {
        throw new Error('boom');
      },
      (e) => errors.push(e),
    );
    feed(reader, wireOf([{ a: 1 }, { b: 2 }]), [100]);
    expect(errors).toHaveLength(1);
  });
});
