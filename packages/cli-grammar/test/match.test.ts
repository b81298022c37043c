import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Cli, CliError, type Command, type HandlerSpec, mapEnv } from '../src/index.js';

function cliWith(...patterns: Array<string | string[]>): Cli {
  const cli = new Cli({ hostname: 'h' });
  for (const p of patterns) {
    const ps = Array.isArray(p) ? p : [p];
    const spec: HandlerSpec = { helpShort: ps[0]!, patterns: ps, call: () => {} };
    cli.register(spec);
  }
  return cli;
}

const which = (cli: Cli, line: string): string | undefined => {
  try {
    return cli.compile(line)?.handler?.helpShort;
  } catch {
    return undefined;
  }
};

describe('matching', () => {
  const cli = cliWith(
    'vm info',
    'vm launch <kvm,container> <names>',
    'vm kill <vm name or all>',
    'vm config',
    ['mesh send <hosts> (command)'],
    ['mesh status'],
    ['version'],
    ['echo [args]...'],
    ['vlans add <alias> <vlan>'],
    ['vlans [range,]'],
    ['vlans range <min> <max>'],
    ['cc <filter,> [filter]...'],
    ['cc <commands,>'],
  );

  test('unique-prefix abbreviation at literal and choice positions', () => {
    expect(which(cli, 'vm inf')).toBe('vm info');
    expect(which(cli, 'vm l k foo')).toBe('vm launch <kvm,container> <names>');
    expect(cli.compile('vm l c foo')?.boolArgs).toEqual({ container: true });
    expect(which(cli, 'm s kn1 version')).toBe('mesh send <hosts> (command)');
    expect(which(cli, 'cc f a=b c=d')).toBe('cc <filter,> [filter]...');
  });

  test('ambiguous abbreviations fail', () => {
    expect(which(cli, 'vm')).toBeUndefined();
    const c = cliWith('mesh send', 'mesh status');
    expect(which(c, 'mesh s')).toBeUndefined();
    expect(which(c, 'mesh se')).toBe('mesh send');
    expect(which(cli, 'v')).toBeUndefined(); // vm, version, vlans
  });

  test('exact match breaks a tie: `vm config` vs nothing shorter', () => {
    const c = cliWith('vm config', 'vm config-net');
    expect(which(c, 'vm config')).toBe('vm config');
    expect(which(c, 'vm config-')).toBe('vm config-net');
    expect(which(c, 'vm conf')).toBeUndefined();
  });

  test('a literal and a string at one position tie and fail', () => {
    const c = cliWith('foo bar', 'foo <x>');
    expect(which(c, 'foo baz')).toBe('foo <x>');
    expect(which(c, 'foo bar')).toBeUndefined();
  });

  test('an empty word prefix-matches every literal', () => {
    const c = cliWith('foo bar');
    expect(which(c, 'foo ""')).toBe('foo bar');
    expect(which(cli, 'vm ""')).toBeUndefined();
  });

  test('args: strings, optional strings, lists, choices', () => {
    expect(cli.compile('vm kill foo')?.stringArgs).toEqual({ vm: 'foo' });
    expect(cli.compile('echo')?.listArgs).toEqual({});
    expect(cli.compile('echo a "b c"')?.listArgs).toEqual({ args: ['a', 'b c'] });
    expect(cli.compile('vlans range 1 2')?.stringArgs).toEqual({ min: '1', max: '2' });
    expect(which(cli, 'vlans')).toBe('vlans [range,]');
    expect(cli.compile('vlans')?.boolArgs).toEqual({});
    expect(which(cli, 'vlans ad a 1')).toBe('vlans add <alias> <vlan>');
    expect(which(cli, 'vlans range 1')).toBeUndefined();
  });

  test('nested commands compile against every handler; originals are requoted', () => {
    const cmd = cli.compile('m se kn[1-2] echo "a b"  c') as Command;
    expect(cmd.original).toBe('m se kn[1-2] echo "a b"  c');
    expect(cmd.words).toEqual(['m', 'se', 'kn[1-2]', 'echo', 'a b', 'c']);
    expect(cmd.stringArgs).toEqual({ hosts: 'kn[1-2]' });
    const sub = cmd.subcommand as Command;
    expect(sub.original).toBe('echo "a b" c');
    expect(sub.words).toEqual(['echo', 'a b', 'c']);
    expect(sub.listArgs).toEqual({ args: ['a b', 'c'] });
    expect(sub.handler?.helpShort).toBe('echo [args]...');
    expect(which(cli, 'mesh send kn1 bogus')).toBeUndefined();
  });

  test('a nested command does not make the outer match inexact', () => {
    const c = cliWith(['x (command)'], ['xy'], ['foo bar']);
    expect(which(c, 'x fo b')).toBe('x (command)');
  });

  test('compileWords resends lexed words', () => {
    const cmd = cli.compileWords(['echo', 'a b', 'it"s']);
    expect(cmd.original).toBe('echo "a b" it"s');
    expect(cmd.listArgs.args).toEqual(['a b', 'it"s']);
    expect(() => cli.compileWords([])).toThrow('invalid command');
    expect(() => cli.compileWords(['nope'])).toThrow('invalid command: `nope`');
  });

  test('records and preprocess flags come from the defaults at compile time', () => {
    const c = cliWith('a (command)', 'b');
    c.defaults.record = false;
    c.defaults.preprocess = false;
    const cmd = c.compile('a b') as Command;
    expect(cmd.record).toBe(false);
    expect(cmd.preprocess).toBe(false);
    expect(cmd.subcommand?.record).toBe(false);
  });

  test('aliases expand only the exact first word, once', () => {
    const c = cliWith('b');
    c.aliases.set('vmr', '.columns name vm info');
    c.aliases.set('x', 'x y');
    expect(c.expandAliases('vmr')).toBe('.columns name vm info');
    expect(c.expandAliases('vmr  extra words')).toBe('.columns name vm info  extra words');
    expect(c.expandAliases('vmrx')).toBe('vmrx');
    expect(c.expandAliases('x z')).toBe('x y z');
    expect(c.expandAliases('echo vmr')).toBe('echo vmr');
  });
});

describe('robustness', () => {
  test('abbreviated nestings compile in linear time', () => {
    const cli = new Cli({ hostname: 'h' });
    cli.registerBuiltins();
    cli.register({ helpShort: 'x', patterns: ['x'], call: () => {} });
    // `.` prefixes every dot command and `t` is `true`: 8 candidates per level
    const line = `${'. t '.repeat(30)}x`;
    // every nested level is ambiguous, so only `.alias <alias>...` is left
    expect(cli.compile(line)?.handler?.patterns[0]).toBe('.alias');
    const exact = `${'.csv true '.repeat(100)}x`;
    let depth = 0;
    for (let c = cli.compile(exact)?.subcommand; c; c = c.subcommand) depth++;
    expect(depth).toBe(100);
    // deeper nesting than MAX_NESTING (100) is refused
    expect(() => cli.compile(`.csv true ${exact}`)).toThrow('invalid command');
  });

  test('absurdly deep nesting is an invalid command, not a crash', () => {
    const cli = new Cli({ hostname: 'h' });
    cli.registerBuiltins();
    cli.register({ helpShort: 'x', patterns: ['x'], call: () => {} });
    expect(() => cli.compile(`${'.sort true '.repeat(50_000)}x`)).toThrow('invalid command');
  });

  test('suggest on abbreviated nestings terminates quickly', async () => {
    const cli = new Cli({ hostname: 'h' });
    cli.registerBuiltins();
    expect(await cli.suggest(`${'. t '.repeat(30)}.cs`)).toContain('.csv');
  });
});

describe('robustness: generated input', () => {
  const cli = new Cli({ hostname: 'h', env: mapEnv() });
  cli.registerBuiltins();
  cli.register({
    helpShort: 'echo',
    patterns: ['echo [args]...'],
    call: (cmd, out) => out.respond({ response: (cmd.listArgs.args ?? []).join(' ') }),
  });
  cli.register({ helpShort: 'vm', patterns: ['vm info', 'vm kill <vm>'], call: () => {} });

  test('a very long line compiles in linear time', () => {
    const words = Array.from({ length: 200_000 }, (_, i) => `w${i}`);
    expect(cli.compile(`echo ${words.join(' ')}`)?.listArgs.args).toHaveLength(200_000);
  });

  test('compile either succeeds or throws a CliError; run always answers', async () => {
    const token = fc.oneof(
      fc.constantFrom(
        '.',
        '.c',
        '.csv',
        'true',
        't',
        'f',
        '.filter',
        'a=b',
        '.col',
        'name',
        'vm',
        'i',
        'echo',
        '"',
        "'",
        '\\',
        '#',
        '""',
        '(',
        ')',
        '[',
        ']',
        '<x>',
      ),
      fc.string({ maxLength: 4 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(token, { maxLength: 12 }), async (tokens) => {
        const line = tokens.join(' ');
        try {
          cli.compile(line);
        } catch (e) {
          expect(e).toBeInstanceOf(CliError);
        }
        for await (const batch of cli.run(line)) expect(Array.isArray(batch)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });
});
