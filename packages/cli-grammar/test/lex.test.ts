import { describe, expect, test } from 'vitest';
import { goQuote, joinWords, LexError, lex, quoteWord } from '../src/index.js';
import { GO_SPACE } from '../src/words.js';
import { thrown } from './helpers.js';

describe('lex', () => {
  test.each([
    ['"foo"', ['foo']],
    ['"\\"foo bar\\""', ['"foo bar"']],
    ["'\"foo\\'s bar\"'", ['"foo\'s bar"']],
    ['"foo \\"bar\\""', ['foo "bar"']],
    ['""', ['']],
    ['foo"bar baz"', ['foobar baz']],
    ['"a"b', ['ab']],
    ['foobar#test', ['foobar']],
    ['"a#b" c', ['a#b', 'c']],
    ['a\\#b', ['a#b']],
    ['  vm   info  ', ['vm', 'info']],
    ['a\\tb "\\n"', ['a\tb', '\n']],
    ["'' x", ['', 'x']],
    ['# only a comment', []],
    ['', []],
    ['a\u00a0b', ['a', 'b']],
  ])('%j', (input, words) => {
    expect(lex(input)).toEqual(words);
  });

  test.each([
    ['"foo', 'missing terminal "'],
    ["'foo", "missing terminal '"],
    ['foo\\', 'expected escape character'],
    ['foo\\x', 'unexpected escaped character: x'],
    ['"abc\\q"', 'unexpected escaped character: q'],
  ])('%j fails with %s', (input, message) => {
    const err = thrown(() => lex(input));
    expect(err).toBeInstanceOf(LexError);
    expect((err as LexError).code).toBe('ERR_LEX');
    expect((err as LexError).message).toBe(message);
  });
});

describe('quoting', () => {
  test('goQuote matches strconv.Quote', () => {
    expect(goQuote('a b')).toBe('"a b"');
    expect(goQuote('say "hi"\n')).toBe('"say \\"hi\\"\\n"');
    expect(goQuote('tab\there\\')).toBe('"tab\\there\\\\"');
    expect(goQuote('\x01')).toBe('"\\x01"');
    expect(goQuote('héllo wörld')).toBe('"héllo wörld"');
  });

  test('only words with whitespace are quoted', () => {
    expect(quoteWord('plain')).toBe('plain');
    expect(quoteWord('it"s')).toBe('it"s');
    expect(quoteWord('two words')).toBe('"two words"');
    expect(joinWords(['echo', 'a b', 'c'])).toBe('echo "a b" c');
  });

  test('words with whitespace survive join + lex', () => {
    const words = ['echo', 'a b', 'tab\there', 'quote " in', 'back\\slash x'];
    expect(lex(joinWords(words))).toEqual(words);
  });
});

test("GO_SPACE is Go's unicode.IsSpace (White_Space: ASCII whitespace, NEL, NBSP, \\p{Z}) at every code point", () => {
  const whiteSpace = /^[\t\n\v\f\r \u0085\u00a0\p{Z}]$/u;
  const differ: string[] = [];
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    const c = String.fromCodePoint(cp);
    if (GO_SPACE.test(c) !== whiteSpace.test(c)) differ.push(cp.toString(16));
  }
  expect(differ).toEqual([]);
  expect(lex('a\u3000b\u2028c\u1680d')).toEqual(['a', 'b', 'c', 'd']);
});
