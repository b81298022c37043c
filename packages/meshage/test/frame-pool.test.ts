// The stream-chunk pool: buffers a server fills itself (file parts it sends)
// come from the same pool received stream data lands in, page-aligned, and
// a chunk given back is the next one handed out (no fresh pages).
import { describe, expect, test } from 'vitest';
import { isPageAligned } from '../src/aligned.js';
import { POOLED_FRAME, recycleStreamChunk, takeStreamChunk } from '../src/frame-pool.js';
import { STREAM_CHUNK } from '../src/streams.js';

describe('takeStreamChunk', () => {
  test('page-aligned buffers of the asked length, reused once given back', () => {
    const a = takeStreamChunk(STREAM_CHUNK);
    expect(a.length).toBe(STREAM_CHUNK);
    expect(isPageAligned(a)).toBe(true);
    recycleStreamChunk(a);
    const b = takeStreamChunk(64 * 1024);
    expect(b.buffer).toBe(a.buffer);
    expect(b.length).toBe(64 * 1024);
    // a second release of the same chunk is ignored: it is never handed out twice
    recycleStreamChunk(b);
    recycleStreamChunk(b);
    const c = takeStreamChunk(4096);
    const d = takeStreamChunk(4096);
    expect(c.buffer).toBe(a.buffer);
    expect(d.buffer).not.toBe(a.buffer);
    recycleStreamChunk(c);
    recycleStreamChunk(d);
  });

  test('a length outside 1..POOLED_FRAME is refused', () => {
    expect(() => takeStreamChunk(0)).toThrow(RangeError);
    expect(() => takeStreamChunk(POOLED_FRAME + 1)).toThrow(RangeError);
    expect(() => takeStreamChunk(1.5)).toThrow(RangeError);
  });
});
