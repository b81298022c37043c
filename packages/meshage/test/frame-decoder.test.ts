// FrameDecoder (accepted TCP sockets: 'data' chunks) yields the same frames
// however the bytes are split, and a large raw frame spread over chunks lands
// in a pooled buffer that a consumer gives back for the next one.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { recycleStreamChunk } from '../src/frame-pool.js';
import { FrameDecoder, frameBuffer, framePieces } from '../src/framing.js';
import { comparable, frameArb, wireOf } from './frame-arbs.js';

function splitAt(wire: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of [...at, wire.length]) {
    if (c > from) out.push(Buffer.from(wire.subarray(from, c)));
    from = Math.max(from, c);
  }
  return out;
}

describe('FrameDecoder', () => {
  test('any split of the bytes yields the frames the whole bytes yield', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (frames, cuts) => {
          const wire = wireOf(frames);
          const want = new FrameDecoder().push(wire);
          const d = new FrameDecoder();
          const got = splitAt(wire, cuts).flatMap((c) => d.push(c));
          expect(got.map(comparable)).toEqual(want.map(comparable));
        },
      ),
      { numRuns: 60 },
    );
  });

  test('frameBuffer gives the bytes of header and encoding joined, for small and large values, and never overwrites an earlier frame', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 8 }), (frames) => {
        // every frame encoded before any is compared: a later encoding must not reuse an earlier one's bytes
        const whole = frames.map((f) => frameBuffer(f));
        const joined = frames.map((f) => Buffer.concat(framePieces(f)));
        expect(whole).toEqual(joined);
      }),
      { numRuns: 60 },
    );
    // larger than msgpackr's first buffer (8 KiB): encoded into a grown one, header space included
    const big = { t: 'req', body: Buffer.alloc(300 * 1024, 5), note: 'x'.repeat(20_000) };
    const f = frameBuffer(big);
    expect(f.readUInt32BE(0)).toBe(f.length - 4);
    expect(comparable(new FrameDecoder().push(f)[0])).toEqual(comparable(big));
  });

  test('a large raw frame over several chunks is read into a pooled buffer, reused once given back', () => {
    const a = Buffer.alloc(200 * 1024, 7);
    const b = Buffer.alloc(200 * 1024, 9);
    const wire = wireOf([a, b]);
    const d = new FrameDecoder();
    const frames = splitAt(wire, [1, 3, 70_000, 150_000, 250_000, 330_000]).flatMap((c) =>
      d.push(c),
    ) as Buffer[];
    expect(frames.map((f) => f.length)).toEqual([a.length, b.length]);
    expect((frames[0] as Buffer).equals(a)).toBe(true);
    expect((frames[1] as Buffer).equals(b)).toBe(true);
    // the first was handed back before the third frame: the third reuses its memory
    recycleStreamChunk(frames[0] as Buffer);
    const [c] = splitAt(wireOf([a]), [100_000]).flatMap((x) => d.push(x)) as Buffer[];
    expect((c as Buffer).buffer).toBe((frames[0] as Buffer).buffer);
    expect((c as Buffer).equals(a)).toBe(true);
    expect((frames[1] as Buffer).equals(b)).toBe(true);
  });
});
