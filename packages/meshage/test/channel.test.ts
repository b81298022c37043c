// The sealed link's receive side: a sealed frame that arrived in a pooled
// receive buffer (frame-pool.ts) is opened into a buffer of its own and the
// pooled one goes back at once, so the next frame reuses it; what the
// consumer got must not change when the pool's buffer is written again.
import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { ChannelLink } from '../src/channel.js';
import { takeFrame } from '../src/frame-pool.js';
import { CipherState } from '../src/noise.js';
import type { Link, LinkHandlers } from '../src/transport.js';

function fakeLink(): Link & { deliver(frame: unknown): void; closedWith: string[] } {
  let handlers: LinkHandlers | undefined;
  const closedWith: string[] = [];
  return {
    remoteAddress: 'fake',
    closed: false,
    closedWith,
    attach: (h) => {
      handlers = h;
    },
    send: () => {},
    close: (why) => {
      closedWith.push(why ?? 'closed');
    },
    deliver: (frame) => handlers?.frame(frame),
  };
}

describe('ChannelLink receive buffers', () => {
  test('a pooled sealed frame is given back after opening; the plaintext stays intact', () => {
    const key = randomBytes(32);
    const sender = new CipherState(key);
    const inner = fakeLink();
    const link = new ChannelLink(inner, {
      send: new CipherState(randomBytes(32)),
      recv: new CipherState(key),
    });
    const got: unknown[] = [];
    link.attach({ frame: (f) => got.push(f), close: () => {} });

    const data = randomBytes(100 * 1024);
    const sealed = Buffer.concat(sender.seal(Buffer.alloc(0), [Buffer.from([0xc1]), data]));
    const pooled = takeFrame(sealed.length);
    sealed.copy(pooled);
    inner.deliver(pooled);
    expect(inner.closedWith).toEqual([]);
    expect(Buffer.from(got[0] as Uint8Array).equals(data)).toBe(true);

    // the pool hands the same memory out again, and writing it does not touch the frame delivered
    const next = takeFrame(sealed.length);
    expect(next.buffer).toBe(pooled.buffer);
    next.fill(0);
    expect(Buffer.from(got[0] as Uint8Array).equals(data)).toBe(true);

    // a tampered pooled frame closes the link
    const bad = Buffer.concat(sender.seal(Buffer.alloc(0), [Buffer.from([0xc1]), data]));
    bad[10] = (bad[10] as number) ^ 1;
    bad.copy(next);
    inner.deliver(next.subarray(0, bad.length));
    expect(inner.closedWith[0]).toMatch(/tampered, replayed or reordered/);
    expect(got).toHaveLength(1);
  });
});
