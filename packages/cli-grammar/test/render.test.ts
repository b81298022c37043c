import { describe, expect, test } from 'vitest';
import {
  type Batch,
  defaultFlags,
  type Flags,
  fromWire,
  renderBatch,
  renderCsv,
  renderErrors,
  renderTable,
  toWire,
} from '../src/index.js';
import { resp } from './helpers.js';

const flags = (f: Partial<Flags> = {}): Flags => ({ ...defaultFlags(), ...f });
// rendering attaches flags to batch[0] (as minimega does): render a fresh copy each time
const render = (batch: Batch, f: Partial<Flags> = {}): string =>
  renderBatch(structuredClone(batch), flags(f));

describe('tables', () => {
  test('spec example: widths max(5, longest+1) including `| `, last column unpadded', () => {
    const b = [
      resp('node1', {
        header: ['size', 'degree', 'peers', 'context', 'port'],
        tabular: [['10', '3', '6', 'minimega', '9000']],
      }),
    ];
    expect(render(b)).toBe(
      'host  | size | degree | peers | context  | port\nnode1 | 10   | 3      | 6     | minimega | 9000',
    );
  });

  test('minimum width 5, code points not UTF-16 units', () => {
    expect(
      renderTable([
        ['a', 'b'],
        ['c', 'd'],
      ]),
    ).toBe('a    | b\nc    | d\n');
    expect(
      renderTable([
        ['héé', 'x'],
        ['😀😀', 'y'],
      ]),
    ).toBe('héé  | x\n😀😀   | y\n');
    expect(renderTable([['only'], ['one column']])).toBe('only\none column\n');
  });

  test('rows of different lengths: widths per column block, like Go tabwriter', () => {
    expect(
      renderTable([
        ['a', 'b', 'c'],
        ['dd', 'e'],
        ['f', 'longer cell', 'g'],
      ]),
    ).toBe(
      // `dd | e` has no cell 1 column (its last cell is unpadded), so it splits the block
      'a    | b  | c\ndd   | e\nf    | longer cell | g\n',
    );
    expect(renderTable([['a', 'b', 'c'], ['x'], ['f', 'longer cell', 'g']])).toBe(
      'a    | b  | c\nx\nf    | longer cell | g\n',
    );
  });

  test('an empty table renders nothing, not even its header', () => {
    expect(render([resp('h', { header: ['a', 'b'], tabular: [] })])).toBe('');
    expect(render([resp('h', { header: ['a', 'b'], tabular: null })])).toBe('');
  });

  test('headers off', () => {
    const b = [resp('h', { header: ['name'], tabular: [['x']] })];
    expect(render(b, { headers: false, annotate: false })).toBe('x');
    expect(render(b, { headers: false })).toBe('h    | x');
  });

  test('multi-host merge: host column, rows in response order then sorted', () => {
    const b = [
      resp('kn2', {
        header: ['name', 'vcpus'],
        tabular: [
          ['b', '10'],
          ['a', '9'],
        ],
      }),
      resp('kn10', { header: ['name', 'vcpus'], tabular: [['c', '1']] }),
      resp('kn1', { header: ['name', 'vcpus'], tabular: [['z', '2']] }),
    ];
    expect(render(b)).toBe(
      [
        'host | name | vcpus',
        'kn1  | z    | 2',
        'kn10 | c    | 1',
        'kn2  | a    | 9',
        'kn2  | b    | 10',
      ].join('\n'),
    );
    expect(render(b, { sort: false })).toBe(
      [
        'host | name | vcpus',
        'kn2  | b    | 10',
        'kn2  | a    | 9',
        'kn10 | c    | 1',
        'kn1  | z    | 2',
      ].join('\n'),
    );
  });

  test('sort: integers numerically (only when both are), strings byte-wise, stable', () => {
    const rows = [['10'], ['9'], ['-1'], ['b'], ['B'], ['a'], ['010'], ['x10']];
    const b = [resp('h', { header: ['v'], tabular: rows })];
    expect(render(b, { annotate: false }).split('\n').slice(1)).toEqual([
      '-1',
      '9',
      '10',
      '010',
      'B',
      'a',
      'b',
      'x10',
    ]);
    // numerically equal cells ("1", "01") compare equal: input order is kept
    const keep = (rows: string[][]): string[] =>
      render([resp('h', { header: ['k', 'v'], tabular: rows })], { annotate: false })
        .split('\n')
        .slice(1);
    expect(
      keep([
        ['1', 'x'],
        ['01', 'x'],
      ]),
    ).toEqual(['1    | x', '01   | x']);
    expect(
      keep([
        ['01', 'x'],
        ['1', 'x'],
      ]),
    ).toEqual(['01   | x', '1    | x']);
    // later columns decide when earlier ones are identical
    expect(
      keep([
        ['1', 'b'],
        ['1', 'a'],
      ]),
    ).toEqual(['1    | a', '1    | b']);
  });

  test('header mismatch and width mismatch are reported as the output', () => {
    expect(
      render([
        resp('a', { header: ['x'], tabular: [['1']] }),
        resp('b', { header: ['y'], tabular: [['1']] }),
      ]),
    ).toBe('header mismatch, hosts: a, b');
    expect(
      render([resp('a', { header: ['x'], tabular: [['1']] }), resp('b', { response: 'hi' })]),
    ).toBe('header mismatch, hosts: a, b');
    expect(render([resp('a', { header: ['x', 'y'], tabular: [['1', '2'], ['3']] })])).toBe(
      'tabular width mismatch, host: a, row: 1',
    );
    // errored responses are ignored by the checks
    expect(
      render([
        resp('a', { header: ['x'], tabular: [['1']] }),
        resp('b', { error: 'boom', header: ['y'] }),
      ]),
    ).toBe('host | x\na    | 1');
  });

  test('mixing simple and tabular data', () => {
    expect(render([resp('a', { tabular: [['1']] }), resp('b', { response: 'hi' })])).toBe(
      'responses mix simple and tabular data',
    );
  });

  test('rows without a header', () => {
    expect(render([resp('a', { tabular: [['1', '2']] })], { annotate: false })).toBe('1    | 2');
    expect(render([resp('a', { tabular: [['1', '2']] })])).toBe('host\na    | 1  | 2');
  });
});

describe('simple output', () => {
  test('annotate prefixes the first line; output is trimmed', () => {
    expect(render([resp('h', { response: '  line1\nline2\n' })])).toBe('h:   line1\nline2');
    expect(render([resp('h', { response: '  line1\nline2\n' })], { annotate: false })).toBe(
      'line1\nline2',
    );
  });

  test('errors are not part of the text; renderErrors lists them', () => {
    const b = [
      resp('a', { response: 'ok' }),
      resp('b', { error: 'bad thing' }),
      resp('c', { error: 'worse' }),
    ];
    expect(render(b, { compress: false })).toBe('a: ok');
    expect(renderErrors(b)).toBe('Error (b): bad thing\nError (c): worse');
    expect(renderErrors([resp('a', { response: 'ok' })])).toBe('');
  });

  test('compress groups identical output under unsplitList keys, sorted', () => {
    const b = [
      ...['kn1', 'kn2', 'kn3', 'kn10'].map((h) => resp(h, { response: 'minimega 2.9' })),
      resp('kn5', { response: 'minimega 2.8' }),
      resp('kn4', { error: 'down' }),
      resp('kn6', { response: '' }),
    ];
    expect(render(b)).toBe('kn5: minimega 2.8\nkn[1-3,10]: minimega 2.9');
    expect(render(b, { annotate: false })).toBe('minimega 2.8\nminimega 2.9');
    expect(render(b, { compress: false })).toBe(
      'kn1: minimega 2.9\nkn2: minimega 2.9\nkn3: minimega 2.9\nkn10: minimega 2.9\nkn5: minimega 2.8',
    );
    // a single response is never compressed
    expect(render([resp('kn1', { response: 'x' })])).toBe('kn1: x');
  });

  test('flags come from batch[0], defaults attached when unset', () => {
    const b: Batch = [resp('h', { response: 'x' })];
    expect(renderBatch(b, flags({ annotate: false }))).toBe('x');
    expect(b[0]!.flags).toEqual(flags({ annotate: false }));
    expect(renderBatch(b, flags())).toBe('x'); // now uses the attached copy
    expect(renderBatch([], flags())).toBe('');
  });
});

describe('CSV', () => {
  test('Go encoding/csv quoting rules', () => {
    expect(
      renderCsv([
        ['plain', 'a,b', 'say "hi"', ' lead', 'trail ', '\\.', 'x\ny', 'cr\r', '', '\tt'],
      ]),
    ).toBe('plain,"a,b","say ""hi"""," lead",trail ,"\\.","x\ny","cr\r",,"\tt"\n');
  });

  test('mode csv with header and annotate', () => {
    const b = [resp('h', { header: ['name', 'note'], tabular: [['a', 'x,y']] })];
    expect(render(b, { mode: 'csv' })).toBe('host,name,note\nh,a,"x,y"');
    expect(render(b, { mode: 'csv', headers: false, annotate: false })).toBe('a,"x,y"');
  });
});

describe('JSON', () => {
  test('Go field names, null for nil, HTML escapes, untrimmed', () => {
    const b = [
      resp('h', { response: '<b>&</b>', data: { vms: [1] } }),
      resp('g', { header: ['a'], tabular: [] }),
    ];
    expect(render(b, { mode: 'json' })).toBe(
      '[{"Host":"h","Response":"\\u003cb\\u003e\\u0026\\u003c/b\\u003e","Header":null,"Tabular":null,"Error":"","Data":{"vms":[1]}},' +
        '{"Host":"g","Response":"","Header":["a"],"Tabular":[],"Error":"","Data":null}]',
    );
  });

  test('wire form round trip and validation', () => {
    const r = resp('h', { header: ['a'], tabular: [['1']], error: 'e', data: { x: 1 } });
    expect(fromWire(JSON.parse(JSON.stringify(toWire(r))))).toEqual(r);
    expect(fromWire({ Host: 'h' })).toEqual(resp('h', {}));
    expect(() => fromWire({ Host: 3 })).toThrow();
    expect(() => fromWire({ Tabular: ['not rows'] })).toThrow();
  });
});
