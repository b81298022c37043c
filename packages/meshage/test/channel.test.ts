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

function sealedPair(): {
  inner: ReturnType<typeof fakeLink>;
  link: ChannelLink;
  sent: Uint8Array[];
  peer: ChannelLink;
  peerInner: ReturnType<typeof fakeLink>;
  got: unknown[];
} {
  const a2b = randomBytes(32);
  const b2a = randomBytes(32);
  const sent: Uint8Array[] = [];
  const inner = fakeLink();
  inner.send = (f) => sent.push(f as Uint8Array);
  const link = new ChannelLink(inner, { send: new CipherState(a2b), recv: new CipherState(b2a) });
  const peerInner = fakeLink();
  const peer = new ChannelLink(peerInner, {
    send: new CipherState(b2a),
    recv: new CipherState(a2b),
  });
  const got: unknown[] = [];
  peer.attach({ frame: (f) => got.push(f), close: () => {} });
  return { inner, link, sent, peer, peerInner, got };
}

describe('ChannelLink coalesced records', () => {
  test('frames sent in one tick travel as ONE record and arrive all, in order', async () => {
    const { link, sent, peerInner, got } = sealedPair();
    const frames = Array.from({ length: 50 }, (_, i) => ({ t: 'req', id: i, body: `x${i}` }));
    for (const f of frames) link.send(f);
    expect(sent).toHaveLength(0); // held until the tick ends
    await new Promise((r) => process.nextTick(r));
    expect(sent).toHaveLength(1);
    peerInner.deliver(sent[0]);
    expect(got).toEqual(frames);

    // the next tick's frames are the next record (next counter)
    link.send({ t: 'a' });
    link.send({ t: 'b' });
    await new Promise((r) => process.nextTick(r));
    expect(sent).toHaveLength(2);
    peerInner.deliver(sent[1]);
    expect(got.slice(50)).toEqual([{ t: 'a' }, { t: 'b' }]);
  });

  test('a raw data frame goes after the frames sent before it, in its own record', async () => {
    const { link, sent, peerInner, got } = sealedPair();
    link.send({ t: 'one' });
    const data = randomBytes(1000);
    link.send(data);
    link.send({ t: 'two' });
    await new Promise((r) => process.nextTick(r));
    expect(sent).toHaveLength(3);
    for (const s of sent) peerInner.deliver(s);
    expect(got[0]).toEqual({ t: 'one' });
    expect(Buffer.from(got[1] as Uint8Array).equals(data)).toBe(true);
    expect(got[2]).toEqual({ t: 'two' });
  });

  test('a tampered coalesced record delivers none of its frames and closes the link', async () => {
    const { link, sent, peerInner, got } = sealedPair();
    for (let i = 0; i < 10; i++) link.send({ t: 'req', id: i });
    await new Promise((r) => process.nextTick(r));
    expect(sent).toHaveLength(1);
    const bad = Buffer.from(sent[0] as Uint8Array);
    bad[bad.length - 20] = (bad[bad.length - 20] as number) ^ 1; // a byte of the last frame
    peerInner.deliver(bad);
    expect(got).toEqual([]);
    expect(peerInner.closedWith[0]).toMatch(/tampered, replayed or reordered/);
  });

  test('a replayed coalesced record is refused', async () => {
    const { link, sent, peerInner, got } = sealedPair();
    link.send({ t: 'a' });
    link.send({ t: 'b' });
    await new Promise((r) => process.nextTick(r));
    peerInner.deliver(sent[0]);
    peerInner.deliver(sent[0]);
    expect(got).toEqual([{ t: 'a' }, { t: 'b' }]);
    expect(peerInner.closedWith[0]).toMatch(/tampered, replayed or reordered/);
  });

  test('frames sent before end() or close() are sealed and sent first', () => {
    const { link, sent, peerInner, got } = sealedPair();
    link.send({ t: 'last' });
    link.close('bye');
    expect(sent).toHaveLength(1);
    peerInner.deliver(sent[0]);
    expect(got).toEqual([{ t: 'last' }]);
  });

  test('a record is cut at the coalescing size: big frames do not make one huge record', async () => {
    const { link, sent, peerInner, got } = sealedPair();
    const frames = Array.from({ length: 6 }, (_, i) => ({
      t: 'big',
      i,
      b: randomBytes(100 * 1024),
    }));
    for (const f of frames) link.send(f);
    await new Promise((r) => process.nextTick(r));
    expect(sent.length).toBeGreaterThan(1);
    for (const s of sent) {
      expect(s.length).toBeLessThan(300 * 1024);
      peerInner.deliver(s);
    }
    expect((got as { i: number }[]).map((f) => f.i)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
