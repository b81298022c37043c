// The cases of minimega's own pkg/minicli tests, ported.
import { describe, expect, test } from 'vitest';
import { Cli, PatternError } from '../src/index.js';
import { runAll } from './helpers.js';

const noop = (): void => {};

describe('minicli_test.go', () => {
  const valid: Array<[string, string[]]> = [
    ['ls [files]...', ['ls', 'ls a', 'ls a b', 'ls a "b c" d']],
    ['mv <dest> <src>...', ['mv a b', 'mv a b c', 'mv a "b c" d']],
    ['pwd', ['pwd']],
    ['vm info', ['vm info']],
    ['vm info search <terms>', ['vm info search foo']],
    ['cd [dir]', ['cd', 'cd a']],
    ['ping <host>', ['ping example.com']],
    ['ip <addr,link>', ['ip addr', 'ip link']],
    ['ip <addr,link> <command>...', ['ip addr add foo']],
    ['foo [bar,zap]', ['foo', 'foo bar', 'foo zap']],
    ['test (foo)', ['test cd', 'test ping example.com', 'test foo bar']],
    ['foobar', ['foobar # test', 'foobar #test', 'foobar#test', 'foobar# test']],
  ];

  test('valid patterns register and their inputs compile', () => {
    const cli = new Cli({ hostname: 'h' });
    for (const [pattern, inputs] of valid) {
      cli.register({ helpShort: pattern, patterns: [pattern], call: noop });
      for (const input of inputs) expect(cli.compile(input)?.handler?.patterns).toEqual([pattern]);
    }
  });

  test.each([
    'ls (foo',
    'ls [foo',
    'ls <foo',
    'ls (foo <bar>)',
    'ls [foo (bar)]',
    'ls <foo [bar]>',
    'ls [foo] [bar]',
    'ls [foo,bar] [car]',
    'ls [foo].',
    'ls [foo]..',
    'ls [foo]....',
    'ls [foo]bar',
    'ls <foo>bar',
    'ls (foo)bar',
    'ls [foo]... <bar>',
    'ls <foo>... <bar>',
    'ls [foo]... <bar>...',
    'ls <foo>... <bar>...',
    'ls (foo) bar',
    'ls <foo, bar>',
    'ls <foo,bar baz,car>',
    'ls "foo"',
    'ls <foo bar "">',
    "ls [foo 'bar']",
    'ls (foo "roar")',
  ])('invalid pattern %j', (pattern) => {
    const cli = new Cli({ hostname: 'h' });
    expect(() => cli.register({ helpShort: 'x', patterns: [pattern], call: noop })).toThrow(
      PatternError,
    );
  });

  test.each([
    [['vm info', 'vm info search', 'vm info mask'], 'vm info'],
    [['vm info search', 'vm info mask'], 'vm info'],
    [['foo', 'bar', 'zombie'], ''],
  ])('shared prefix of %j is %j, in any order', (patterns, want) => {
    for (let i = 0; i < patterns.length; i++) {
      const rotated = [...patterns.slice(i), ...patterns.slice(0, i)];
      const cli = new Cli({ hostname: 'h' });
      // one handler per pattern would conflict on `vm info`; register them together
      expect(cli.register({ helpShort: 'x', patterns: rotated, call: noop }).sharedPrefix).toBe(
        want,
      );
    }
  });

  test('history keeps comments of recorded commands', async () => {
    const cli = new Cli({ hostname: 'h' });
    cli.register({ helpShort: 'test', patterns: ['test'], call: noop });
    for (const line of ['test #one', 'test # two', 'test#three', '  test  '])
      await runAll(cli, line);
    expect(cli.history.entries()).toEqual(['test #one', 'test # two', 'test#three', 'test']);
  });

  test.each([
    ['foo', 'foo'],
    ['"foo"', 'foo'],
    ['"foo bar"', 'foo bar'],
    ['"\\"foo bar\\""', '"foo bar"'],
    ['"\\"foo\'s bar\\""', '"foo\'s bar"'],
    ["'foo'", 'foo'],
    ["'foo bar'", 'foo bar'],
    ['\'"foo bar"\'', '"foo bar"'],
    ["'\"foo\\'s bar\"'", '"foo\'s bar"'],
    ['"foo \\"bar\\""', 'foo "bar"'],
    ['""', ''],
  ])('quotes: %s → %j', async (input, want) => {
    const cli = new Cli({ hostname: 'h' });
    cli.register({
      helpShort: 'echo arg',
      patterns: ['<arg>'],
      call: (cmd, out) => out.respond({ response: cmd.stringArgs.arg ?? '' }),
    });
    const batches = await runAll(cli, input);
    expect(batches).toHaveLength(1);
    expect(batches[0]![0]!.response).toBe(want);
  });
});

describe('output_test.go: sort', () => {
  test('rows sort by column, integers numerically', () => {
    const cli = new Cli({ hostname: 'h' });
    cli.defaults.annotate = false;
    cli.defaults.headers = false;
    const data = [
      ['b', 'b', '2'],
      ['a', 'a', '0'],
      ['d', 'a', '4'],
      ['a', 'b', '1'],
      ['e', 'a', '5'],
      ['c', 'a', '3'],
    ];
    const out = cli.render([cli.response({ tabular: data })]);
    expect(out.split('\n').map((l) => l.split('|').at(-1)!.trim())).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4',
      '5',
    ]);
    const ints = data.map((r) => [r[2]!, r[1]!, r[2]!]);
    const out2 = cli.render([cli.response({ tabular: ints })]);
    expect(out2.split('\n').map((l) => l.split('|').at(-1)!.trim())).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4',
      '5',
    ]);
  });
});
