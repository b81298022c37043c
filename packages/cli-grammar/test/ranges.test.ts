import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { RangeSyntaxError, splitList, unsplitList } from '../src/index.js';
import { thrown } from './helpers.js';

const seq = (prefix: string, from: number, to: number, width = 0): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => prefix + String(from + i).padStart(width, '0'));

describe('splitList', () => {
  test.each([
    ['kn[1-3,100]', ['kn1', 'kn2', 'kn3', 'kn100']],
    ['kn[008-011,100]', ['kn008', 'kn009', 'kn010', 'kn011', 'kn100']],
    ['kn[01-10]', seq('kn', 1, 10, 2)],
    ['kn[1-10]', seq('kn', 1, 10)],
    ['foo,bar[0-1],kn[1,2,3]', ['foo', 'bar0', 'bar1', 'kn1', 'kn2', 'kn3']],
    ['[1-3]', ['1', '2', '3']],
    ['', []],
    ['a,', ['a']],
    ['a,,b', ['a', '', 'b']],
    [',a', ['', 'a']],
    ['kn[3,1,2,2]', ['kn1', 'kn2', 'kn3']],
    ['kn[5-3]', []],
    ['kn[1-3,10]', ['kn1', 'kn2', 'kn3', 'kn10']],
    ['a,a', ['a', 'a']],
    // extensions over minimega: text after `]`, several groups
    ['kn[1-2].lan', ['kn1.lan', 'kn2.lan']],
    ['r[1-2]n[1-2]', ['r1n1', 'r1n2', 'r2n1', 'r2n2']],
  ])('%j', (input, names) => {
    expect(splitList(input)).toEqual(names);
  });

  test.each([
    ['kn[1-[2]]', "nested '[' at char 5"],
    ['kn]', "unmatched ']' at char 2"],
    ['kn[1-2', "unterminated '['"],
    ['kn[1-2-3]', 'invalid subrange 1-2-3'],
    ['kn[a]', 'strconv.Atoi: parsing "a": invalid syntax'],
    ['kn[1-]', 'strconv.Atoi: parsing "": invalid syntax'],
    ['kn[]', 'strconv.Atoi: parsing "": invalid syntax'],
    ['kn[2147483648]', 'value of out range: 2147483648'],
    ['kn[0-2147483647]', 'range expands to more than 1000000 names'],
  ])('%j fails: %s', (input, message) => {
    const err = thrown(() => splitList(input));
    expect(err).toBeInstanceOf(RangeSyntaxError);
    expect((err as RangeSyntaxError).code).toBe('ERR_RANGE');
    expect((err as Error).message).toBe(message);
  });
});

describe('unsplitList', () => {
  test('minimega reference outputs', () => {
    expect(unsplitList([...seq('node', 0, 9), ...seq('n', 0, 9), ...seq('foo', 0, 9)])).toBe(
      'foo[0-9],node[0-9],n[0-9]',
    );
    expect(
      unsplitList(['foo1.10g', 'foo2.10g', 'foo3.100g', 'foo4.100g', 'foo5.1000g', 'foo6.1000g']),
    ).toBe('foo[5-6].1000g,foo[3-4].100g,foo[1-2].10g');
    expect(unsplitList([...seq('node', 0, 8), ...seq('n', 0, 4), ...seq('n', 6, 9)])).toBe(
      'node[0-8],n[0-4,6-9]',
    );
    const mixed = [
      ...['foo0', 'foo1'].flatMap((f) => ['1', '2', '3', '5'].map((b) => `${f}.bar${b}`)),
      ...['1', '2', '5'].map((b) => `foo2.bar${b}`),
      ...['foo3', 'foo4'].flatMap((f) => ['1', '2'].map((b) => `${f}.bar${b}`)),
      ...seq('foo', 0, 4).map((f) => `${f}.car`),
    ];
    expect(unsplitList(mixed)).toBe(
      'foo2.bar[1-2,5],foo[3-4].bar[1-2],foo[0-1].bar[1-3,5],foo[0-4].car',
    );
  });

  test('does not drop a number that prefixes a longer one (minimega bug)', () => {
    expect(unsplitList(seq('kn', 1, 10))).toBe('kn[1-10]');
    expect(unsplitList(['n1', 'n10'])).toBe('n[1,10]');
    expect(unsplitList(['kn1', 'kn1x', 'kn12'])).toBe('kn[1,12],kn1x');
  });

  test('keeps zero padding', () => {
    expect(unsplitList(['kn01', 'kn02'])).toBe('kn[01-02]');
    expect(unsplitList(seq('kn', 1, 10, 2))).toBe('kn[01-10]');
    expect(splitList(unsplitList(['kn01', 'kn1'])).sort()).toEqual(['kn01', 'kn1']);
  });

  test('pkg/ranges trie_test.go names: duplicates collapse, node5 and node50 both kept', () => {
    expect(unsplitList(Array(10).fill('foobar'))).toBe('foobar');
    const names = [
      'n0',
      'n1',
      'n2',
      'node0',
      'node1',
      'node2',
      'node3',
      'node4',
      'node5',
      'node50',
      'foo0',
      'foo1',
      'bar',
    ];
    expect(unsplitList(names)).toBe('bar,foo[0-1],node[0-5,50],n[0-2]');
    expect(splitList(unsplitList(names)).sort()).toEqual([...names].sort());
  });

  test('single names stay as they are', () => {
    expect(unsplitList(['head'])).toBe('head');
    expect(unsplitList(['kn7'])).toBe('kn7');
    expect(unsplitList([])).toBe('');
  });

  test('numbers too large for a range are written one by one', () => {
    const names = ['n99999999999', 'n99999999998'];
    expect(splitList(unsplitList(names)).sort()).toEqual([...names].sort());
  });
});

describe('properties', () => {
  // hostname-like names: letters, digits, dots and dashes (no `,[]`)
  const name = fc
    .array(fc.constantFrom('a', 'b', 'n', 'k', '.', '-', '0', '1', '2', '9'), {
      minLength: 1,
      maxLength: 7,
    })
    .map((cs) => cs.join(''));
  const numbered = fc
    .tuple(
      fc.constantFrom('kn', 'node', 'n', 'r1n', 'a.b'),
      fc.nat(120),
      fc.nat(3),
      fc.constantFrom('', '.lan', 'x'),
    )
    .map(([p, n, w, s]) => p + String(n).padStart(w, '0') + s);
  const names = fc.uniqueArray(fc.oneof(name, numbered), { minLength: 1, maxLength: 40 });
  const sorted = (xs: readonly string[]): string[] => [...xs].sort();

  test('splitList(unsplitList(x)) == x as a set', () => {
    fc.assert(
      fc.property(names, (xs) => {
        const back = splitList(unsplitList(xs));
        expect(sorted(back)).toEqual(sorted(xs));
      }),
      { numRuns: 500 },
    );
  });

  test('unsplitList never emits a name twice and is order-independent', () => {
    fc.assert(
      fc.property(names, (xs) => {
        const out = unsplitList(xs);
        expect(unsplitList([...xs].reverse())).toBe(out);
        expect(new Set(splitList(out)).size).toBe(xs.length);
      }),
      { numRuns: 300 },
    );
  });

  test('splitList of a plain range is sorted and de-duplicated', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(500), { minLength: 1, maxLength: 20 }), (ns) => {
        const out = splitList(`h[${ns.join(',')}]`);
        const want = [...new Set(ns)].sort((a, b) => a - b);
        const width = ns.every((n) => String(n).length === String(ns[0]).length)
          ? String(ns[0]).length
          : 0;
        expect(out).toEqual(want.map((n) => `h${String(n).padStart(width, '0')}`));
      }),
    );
  });
});
