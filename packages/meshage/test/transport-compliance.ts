// The transport compliance suite: every Transport implementation runs it
// with a few lines of setup (see transport-*.test.ts).
import { afterEach, describe, expect, test } from 'vitest';
import type { Link, Transport } from '../src/index.js';
import { until } from './util.js';

export interface TransportSetup {
  /** a fresh transport (not yet listening) on one shared broadcast domain */
  make(): Transport;
  /** called after each test */
  cleanup?(): Promise<void>;
}

interface Recorder {
  frames: unknown[];
  closes: string[];
}

function record(link: Link): Recorder {
  const r: Recorder = { frames: [], closes: [] };
  link.attach({ frame: (f) => r.frames.push(f), close: (why) => r.closes.push(why) });
  return r;
}

export function transportCompliance(name: string, setup: () => TransportSetup): void {
  describe(`transport compliance: ${name}`, () => {
    let s: TransportSetup;
    const made: Transport[] = [];
    const make = () => {
      const t = s.make();
      made.push(t);
      return t;
    };
    afterEach(async () => {
      await Promise.all(made.splice(0).map((t) => t.close()));
      await s.cleanup?.();
    });

    async function pair() {
      s ??= setup();
      const a = make();
      const b = make();
      const inbound: Link[] = [];
      const datagrams: { data: Uint8Array; from: string }[] = [];
      await a.listen({ link: () => {}, datagram: () => {} });
      await b.listen({
        link: (l) => inbound.push(l),
        datagram: (data, from) => datagrams.push({ data, from }),
      });
      return { a, b, inbound, datagrams };
    }

    test('frames flow both ways, in order, with binary and nested values', async () => {
      s = setup();
      const { a, b, inbound } = await pair();
      const la = await a.dial(b.localAddress);
      const ra = record(la);
      await until('inbound link', () => inbound.length === 1);
      const lb = inbound[0] as Link;
      const rb = record(lb);
      for (let i = 0; i < 200; i++) la.send({ t: 'n', i, bin: new Uint8Array([i & 255, 1, 2]) });
      lb.send({ nested: { list: [1, 'two', null, true], s: 'ü' } });
      await until('200 frames', () => rb.frames.length === 200);
      expect(rb.frames.map((f) => (f as { i: number }).i)).toEqual([...Array(200).keys()]);
      const bin = (rb.frames[7] as { bin: Uint8Array }).bin;
      expect([...bin]).toEqual([7, 1, 2]);
      await until('reply', () => ra.frames.length === 1);
      expect(ra.frames[0]).toEqual({ nested: { list: [1, 'two', null, true], s: 'ü' } });
    });

    test('frames that arrive before attach() are replayed', async () => {
      s = setup();
      const { a, b, inbound } = await pair();
      const la = await a.dial(b.localAddress);
      la.send({ early: 1 });
      la.send({ early: 2 });
      await until('inbound link', () => inbound.length === 1);
      await new Promise((r) => setTimeout(r, 50));
      const rb = record(inbound[0] as Link);
      await until('early frames', () => rb.frames.length === 2);
      expect(rb.frames).toEqual([{ early: 1 }, { early: 2 }]);
    });

    test('closing one end is seen once by the other; send after close throws', async () => {
      s = setup();
      const { a, b, inbound } = await pair();
      const la = await a.dial(b.localAddress);
      const ra = record(la);
      await until('inbound link', () => inbound.length === 1);
      const rb = record(inbound[0] as Link);
      la.close();
      await until('remote close', () => rb.closes.length === 1);
      expect(la.closed).toBe(true);
      expect(() => la.send({ x: 1 })).toThrowError(
        expect.objectContaining({ code: 'ERR_MESH_LINK_CLOSED' }),
      );
      await new Promise((r) => setTimeout(r, 50));
      expect(rb.closes).toHaveLength(1);
      expect(ra.closes).toHaveLength(1);
    });

    test('closing a transport closes its links', async () => {
      s = setup();
      const { a, b, inbound } = await pair();
      const la = await a.dial(b.localAddress);
      const ra = record(la);
      await until('inbound link', () => inbound.length === 1);
      await b.close();
      await until('close seen by dialer', () => ra.closes.length === 1);
    });

    test('dialing an address nobody listens on fails with DialError', async () => {
      s = setup();
      const { a, b } = await pair();
      const addr = b.localAddress;
      await b.close();
      await expect(a.dial(addr, { timeoutMs: 2000 })).rejects.toMatchObject({
        code: 'ERR_MESH_DIAL',
      });
    });

    test('broadcast reaches listeners with a dialable source address', async () => {
      s = setup();
      const { a, b, datagrams, inbound } = await pair();
      const errors = await a.broadcast(new Uint8Array([9, 8, 7]));
      expect(errors).toEqual([]);
      await until('datagram', () => datagrams.some((d) => d.data.length === 3));
      const d = datagrams.find((x) => x.data.length === 3);
      expect([...(d?.data ?? [])]).toEqual([9, 8, 7]);
      // the source address dials the sender back
      const back = await b.dial(d?.from ?? '');
      back.close();
      expect(inbound).toHaveLength(0);
    });
  });
}
