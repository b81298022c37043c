import { describe, expect, test } from 'vitest';
import {
  Cli,
  ConflictError,
  ItemType,
  PatternError,
  parsePattern,
  renderPattern,
} from '../src/index.js';
import { thrown } from './helpers.js';

const { optional, literal, command, string, choice, list } = ItemType;
const noop = (): void => {};

describe('parsePattern', () => {
  test('item kinds', () => {
    expect(parsePattern('vm info')).toEqual([
      { type: literal, key: '', text: 'vm', options: [] },
      { type: literal, key: '', text: 'info', options: [] },
    ]);
    expect(parsePattern('vm kill <vm name or all>')[2]).toEqual({
      type: string,
      key: 'vm',
      text: 'vm name or all',
      options: [],
    });
    expect(parsePattern('mesh list [all,peers]')[2]).toEqual({
      type: choice | optional,
      key: '',
      text: 'all,peers',
      options: ['all', 'peers'],
    });
    expect(parsePattern('capture <pcap,> x')[1]).toEqual({
      type: choice,
      key: '',
      text: 'pcap,',
      options: ['pcap'],
    });
    expect(parsePattern('echo [args]...')[1]).toMatchObject({ type: list | optional, key: 'args' });
    expect(parsePattern('cc send <file>...')[2]).toMatchObject({ type: list, key: 'file' });
    expect(parsePattern('mesh send <hosts> (command)')[3]).toMatchObject({
      type: command,
      key: 'command',
    });
    expect(parsePattern('.columns <columns as csv> (command)')[1]).toMatchObject({
      type: string,
      key: 'columns',
      text: 'columns as csv',
    });
    expect(parsePattern('deploy <flags,> [minimega flags]...')[2]).toMatchObject({
      type: list | optional,
      key: 'minimega',
      text: 'minimega flags',
    });
  });

  test.each([
    ['ls [foo] [bar]', 'trailing characters when EOF expected'],
    ['ls [foo]... <bar>', 'trailing characters when EOF expected'],
    ['ls (foo) bar', 'trailing characters when EOF expected'],
    ['ls <foo, bar>', 'spaces not allowed in multiple choice'],
    ['ls [foo]bar', 'invalid trailing characters after ]'],
    ['ls [foo]..', 'invalid trailing characters after ]'],
    ['ls "foo"', 'single and double quotes are not allowed'],
    ["ls <'foo'>", 'single and double quotes are not allowed'],
    ['ls <foo [bar]>', 'cannot nest items'],
    ['ls <a,<b>>', 'cannot nest items'],
    ['ls <foo', 'missing terminal >'],
    ['ls [a,b', 'missing terminal ]'],
    ['ls (foo bar', 'missing terminal )'],
    ['ls <foo>x', 'invalid trailing characters after >'],
    ['ls [a,b] c', 'trailing characters when EOF expected'],
    ['', 'empty pattern'],
  ])('rejects %j (%s)', (pattern, message) => {
    const err = thrown(() => parsePattern(pattern));
    expect(err).toBeInstanceOf(PatternError);
    expect((err as PatternError).code).toBe('ERR_PATTERN');
    expect((err as PatternError).message).toContain(message);
    expect((err as PatternError).pattern).toBe(pattern);
  });

  test('an optional item with documentation is not checked for trailing items (minimega quirk)', () => {
    expect(parsePattern('foo [bar baz] qux').map((i) => i.type)).toEqual([
      literal,
      string | optional,
      literal,
    ]);
  });

  test('rendering for help', () => {
    const cases = [
      'vm info',
      'vm kill <vm name or all>',
      'mesh list [all,peers]',
      '.csv <true,false> (command)',
      'echo [args]...',
      'cc send <file>...',
    ];
    for (const p of cases) expect(renderPattern(parsePattern(p))).toBe(p);
    expect(renderPattern(parsePattern('capture <pcap,> <delete,> vm <vm name>'))).toBe(
      'capture pcap delete vm <vm name>',
    );
    expect(renderPattern(parsePattern('capture <pcap,> <snaplen,> [size]'))).toBe(
      'capture pcap snaplen [size]',
    );
  });
});

describe('register', () => {
  test('bad patterns throw PatternError and register nothing', () => {
    const cli = new Cli({ hostname: 'h' });
    expect(() =>
      cli.register({ helpShort: 'x', patterns: ['ok', 'ls [a] [b]'], call: noop }),
    ).toThrow(PatternError);
    expect(cli.handlers()).toHaveLength(0);
    expect(() => cli.compile('ok')).toThrow('invalid command');
  });

  test('two handlers on the same node conflict; the loser leaves no trace', () => {
    const cli = new Cli({ hostname: 'h' });
    cli.register({ helpShort: 'a', patterns: ['vm info'], call: noop });
    const err = thrown(() =>
      cli.register({ helpShort: 'b', patterns: ['vm launch <name>', 'vm info [x]'], call: noop }),
    );
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).code).toBe('ERR_CONFLICT');
    expect((err as Error).message).toContain('conflicting handlers');
    expect(() => cli.compile('vm launch foo')).toThrow('invalid command');
    expect(cli.handlers().map((h) => h.helpShort)).toEqual(['a']);
  });

  test('an optional item conflicts with a shorter pattern', () => {
    const cli = new Cli({ hostname: 'h' });
    cli.register({ helpShort: 'a', patterns: ['mesh list'], call: noop });
    expect(() =>
      cli.register({ helpShort: 'b', patterns: ['mesh list [all,peers]'], call: noop }),
    ).toThrow(ConflictError);
  });

  test('help texts are trimmed and the shared prefix derived', () => {
    const cli = new Cli({ hostname: 'h' });
    const h = cli.register({
      helpShort: '  short \n',
      helpLong: '\n long text\n',
      patterns: ['vm config net [netspec]...', 'vm config network <x>', 'vm config'],
      call: noop,
    });
    expect(h.helpShort).toBe('short');
    expect(h.helpLong).toBe('long text');
    expect(h.sharedPrefix).toBe('vm config');
    expect(
      cli.register({ helpShort: 'x', patterns: ['<a,b> x', 'foo'], call: noop }).sharedPrefix,
    ).toBe('');
  });
});
