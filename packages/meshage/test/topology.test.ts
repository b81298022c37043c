import { describe, expect, test } from 'vitest';
import { computeRoutes, LinkStateDb, newer } from '../src/index.js';

function db(edges: Record<string, string[]>, inc = 1): LinkStateDb {
  const d = new LinkStateDb();
  for (const [o, p] of Object.entries(edges)) d.accept({ o, i: inc, s: 1, p: [...p].sort() });
  return d;
}

describe('link-state database', () => {
  test('keeps the newest announcement per origin (incarnation, then sequence)', () => {
    const d = new LinkStateDb();
    expect(d.accept({ o: 'a', i: 5, s: 2, p: ['b'] })).toBe(true);
    expect(d.accept({ o: 'a', i: 5, s: 1, p: [] })).toBe(false);
    expect(d.accept({ o: 'a', i: 5, s: 2, p: [] })).toBe(false);
    expect(d.accept({ o: 'a', i: 6, s: 1, p: ['c'] })).toBe(true);
    expect(d.get('a')?.p).toEqual(['c']);
    expect(newer({ o: 'a', i: 4, s: 99, p: [] }, d.get('a'))).toBe(false);
  });

  test('forgets origins unreachable for longer than the grace period only', () => {
    const d = db({ a: ['b'], z: [] });
    d.collect(new Set(['a']), 1000, 500);
    expect(d.get('z')).toBeDefined();
    d.collect(new Set(['a']), 1400, 500);
    expect(d.get('z')).toBeDefined();
    d.collect(new Set(['a']), 1600, 500);
    expect(d.get('z')).toBeUndefined();
  });
});

describe('routes', () => {
  test('shortest paths by hop count, ties broken by sorted names', () => {
    //   self - a - c - e
    //     \   /     /
    //      b ----- d
    const d = db({
      a: ['self', 'b', 'c'],
      b: ['self', 'a', 'd'],
      c: ['a', 'e'],
      d: ['b', 'e'],
      e: ['c', 'd'],
    });
    const r = computeRoutes('self', new Set(['a', 'b']), d);
    expect(r.nodes).toEqual(['a', 'b', 'c', 'd', 'e', 'self']);
    expect(r.nextHop.get('c')).toBe('a');
    expect(r.nextHop.get('d')).toBe('b');
    expect(r.distance.get('e')).toBe(3);
    expect(r.nextHop.get('e')).toBe('a');
    expect(r.adjacency.get('self')).toEqual(['a', 'b']);
    expect(r.adjacency.get('e')).toEqual(['c', 'd']);
  });

  test('an edge counts only when both ends announce it', () => {
    const d = db({ a: ['self', 'x'], x: [] });
    const r = computeRoutes('self', new Set(['a']), d);
    expect(r.nodes).toEqual(['a', 'self']);
    expect(r.nextHop.has('x')).toBe(false);
  });

  test('direct links count from this side before the peer announces them', () => {
    const r = computeRoutes('self', new Set(['a']), new LinkStateDb());
    expect(r.nodes).toEqual(['a', 'self']);
    expect(r.adjacency.get('a')).toEqual(['self']);
  });

  test('partitions: nodes behind a missing edge are unreachable', () => {
    const d = db({ a: ['self'], b: ['c'], c: ['b'] });
    const r = computeRoutes('self', new Set(['a']), d);
    expect(r.nodes).toEqual(['a', 'self']);
  });

  test('adjacency is symmetric', () => {
    const names = Array.from({ length: 30 }, (_, i) => `n${i}`);
    const edges: Record<string, Set<string>> = Object.fromEntries(
      names.map((n) => [n, new Set<string>()]),
    );
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (const n of names) {
      for (let k = 0; k < 2; k++) {
        const m = names[Math.floor(rnd() * names.length)] as string;
        if (m !== n) {
          edges[n]?.add(m);
          edges[m]?.add(n);
        }
      }
    }
    const d = db(Object.fromEntries(Object.entries(edges).map(([k, v]) => [k, [...v]])));
    const r = computeRoutes('n0', edges.n0 ?? new Set(), d);
    for (const [n, ns] of r.adjacency) for (const m of ns) expect(r.adjacency.get(m)).toContain(n);
  });
});
