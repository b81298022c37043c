import { describe, expect, it } from 'vitest';
import { goQuote, inNamespace, wordsToCommand } from '../src/client/quote.js';
import { FrameTooLargeError, JsonStreamSplitter } from '../src/protocol/json-stream.js';
import { parseRequest } from '../src/protocol/schema.js';
import { encodeGo, reply, replyErrors } from '../src/protocol/wire.js';

describe('JSON stream splitting', () => {
  it('splits concatenated values with any whitespace between them', () => {
    const s = new JsonStreamSplitter();
    expect(s.push('{"a":1}{"b":"}"}\n  [1,{"c":[2]}] "str\\"ing" 12 ')).toEqual([
      '{"a":1}',
      '{"b":"}"}',
      '[1,{"c":[2]}]',
      '"str\\"ing"',
      '12',
    ]);
    expect(s.idle).toBe(true);
  });

  it('reassembles values split across chunks, including multi-byte characters', () => {
    const s = new JsonStreamSplitter();
    const bytes = Buffer.from('{"Command":"echo ✓ ok"}\n');
    const out: string[] = [];
    for (const b of bytes) out.push(...s.push(Uint8Array.of(b)));
    expect(out).toEqual(['{"Command":"echo ✓ ok"}']);
  });

  it('resynchronises after garbage', () => {
    const s = new JsonStreamSplitter();
    expect(s.push('xyz}{"Command":"echo"}')).toEqual(['xyz}', '{"Command":"echo"}']);
  });

  it('refuses a value larger than the limit', () => {
    const s = new JsonStreamSplitter({ maxFrame: 100 });
    expect(() => s.push(`{"Command":"${'x'.repeat(200)}`)).toThrow(FrameTooLargeError);
    expect(s.push('{"a":1}')).toEqual(['{"a":1}']);
  });

  it('reports an unfinished value at the end', () => {
    const s = new JsonStreamSplitter();
    s.push('{"a":');
    expect(s.end()).toBe('{"a":');
  });
});

describe('request validation', () => {
  it('accepts requests with missing fields as empty', () => {
    expect(parseRequest('{"Command":"echo hi"}')).toEqual({
      ok: true,
      request: { Command: 'echo hi', Suggest: '', PlumbPipe: '' },
    });
  });

  it.each([
    ['{"Command":', /invalid JSON/],
    ['[1,2]', /expected an object.*got an array/],
    ['null', /got null/],
    ['"hi"', /got a string/],
    ['{"Command":5}', /Command: .*string/],
    ['{"Suggest":[]}', /Suggest: /],
  ])('names what is wrong with %s', (text, why) => {
    const r = parseRequest(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(why);
  });
});

describe('wire encoding', () => {
  it('writes Go field names, omits an empty Suggest, escapes like Go', () => {
    expect(encodeGo(reply({}))).toBe('{"Resp":null,"Rendered":"","More":false,"Status":false}\n');
    expect(encodeGo(reply({ Suggest: ['a '] }))).toContain('"Suggest":["a "]');
    expect(encodeGo({ x: '<a&b>' })).toBe('{"x":"\\u003ca\\u0026b\\u003e"}\n');
    expect(JSON.parse(encodeGo({ x: '<a&b>\u2028' }))).toEqual({ x: '<a&b>\u2028' });
  });

  it('renders errors as Responses.Error()', () => {
    const r = reply({
      Resp: [
        { Host: 'a', Response: '', Header: null, Tabular: null, Error: 'bad', Data: null },
        { Host: 'b', Response: 'ok', Header: null, Tabular: null, Error: '', Data: null },
      ],
    });
    expect(replyErrors(r)).toBe('Error (a): bad');
  });
});

describe('client command quoting', () => {
  it('quotes like Go strconv.Quote', () => {
    expect(goQuote('a b')).toBe('"a b"');
    expect(goQuote('say "hi"\n')).toBe('"say \\"hi\\"\\n"');
    expect(goQuote('\x01é')).toBe('"\\x01é"');
  });

  it('sends one word unchanged and quotes words with whitespace', () => {
    expect(wordsToCommand(['vm info'])).toBe('vm info');
    expect(wordsToCommand(['echo', 'a b', 'c'])).toBe('echo "a b" c');
    expect(wordsToCommand(['echo', 'a"b', "it's", '#x', '', 'back\\slash'])).toBe(
      'echo "a\\"b" "it\'s" "#x" "" "back\\\\slash"',
    );
  });

  it('prefixes the namespace without quoting the command (sharp edge 2)', () => {
    expect(inNamespace('foo', 'vm info')).toBe('namespace foo vm info');
    expect(inNamespace('a b', 'vm info')).toBe('namespace "a b" vm info');
    expect(inNamespace('', 'vm info')).toBe('vm info');
  });
});
