import { describe, expect, test } from 'vitest';
import { Cli } from '../src/index.js';

function helpCli(): Cli {
  const cli = new Cli({ hostname: 'h' });
  const noop = (): void => {};
  cli.register({
    helpShort: 'display VM info',
    helpLong: 'Long VM info help.',
    patterns: ['vm info'],
    call: noop,
  });
  cli.register({
    helpShort: 'kill VMs',
    patterns: ['vm kill <vm name or all>'],
    call: noop,
  });
  cli.register({
    helpShort: 'view mesh list',
    patterns: ['mesh list [all,peers]'],
    call: noop,
  });
  cli.register({
    helpShort: 'send a command',
    helpLong: 'Send a command to hosts.',
    patterns: ['mesh send <hosts> (command)'],
    call: noop,
  });
  return cli;
}

describe('help', () => {
  test('short list: every pattern sorted, tab-aligned like Go tabwriter (tabwidth 8)', () => {
    expect(helpCli().help('')).toBe(
      'Display help on a command. Here is a list of commands:\n' +
        'mesh list [all,peers] \t\t :\t send a command \t\n'.replace(
          'send a command',
          'view mesh list',
        ) +
        'mesh send <hosts> (command) \t :\t send a command \t\n' +
        'vm info \t\t\t :\t display VM info \t\n' +
        'vm kill <vm name or all> \t :\t kill VMs \t\t\n',
    );
  });

  test('long help for one handler: usage lines then long (or short) help', () => {
    const cli = helpCli();
    expect(cli.help('vm info')).toBe('Usage:\n\tvm info\n\nLong VM info help.');
    expect(cli.help('vm k')).toBe('Usage:\n\tvm kill <vm name or all>\n\nkill VMs');
    expect(cli.help('mesh send')).toBe(
      'Usage:\n\tmesh send <hosts> (command)\n\nSend a command to hosts.',
    );
    // words after a string item still find the handler
    expect(cli.help('vm kill foo')).toContain('kill VMs');
    // reaching a command item takes the handler of the node before it: none here (as minimega)
    expect(cli.help('mesh send kn1 vm info')).toBe('no help entry for `mesh send kn1 vm info`');
    expect(cli.help('vm kill foo')).toContain('kill VMs');
  });

  test('several handlers: exactly one with long help gives a combined long help', () => {
    const cli = helpCli();
    expect(cli.help('vm')).toBe(
      'Usage:\n\tvm info\n\tvm kill <vm name or all>\n\nLong VM info help.',
    );
    const short = cli.help('mesh');
    expect(short).toBe(
      'Usage:\n\tmesh list [all,peers]\n\tmesh send <hosts> (command)\n\nSend a command to hosts.',
    );
  });

  test('several handlers with zero or many long helps: short list of those', () => {
    const cli = helpCli();
    cli.register({ helpShort: 'other', helpLong: 'x', patterns: ['vm launch'], call: () => {} });
    expect(cli.help('vm')).toBe(
      'Display help on a command. Here is a list of commands:\n' +
        'vm info \t\t\t :\t display VM info \t\n' +
        'vm kill <vm name or all> \t :\t kill VMs \t\t\n' +
        'vm launch \t\t\t :\t other \t\t\t\n',
    );
  });

  test('no entry, and lex errors', () => {
    const cli = helpCli();
    expect(cli.help('nope')).toBe('no help entry for `nope`');
    expect(cli.help('vm "open')).toBe('unable to parse `vm "open`: missing terminal "');
  });

  test('builtins help', () => {
    const cli = new Cli({ hostname: 'h' });
    cli.registerBuiltins();
    expect(cli.help('.unalias')).toBe(
      'Usage:\n\t.unalias <alias>\n\nRemoves an alias by name. See .alias for a listing of aliases.',
    );
    expect(cli.help('.filter')).toMatch(
      /^Usage:\n\t\.filter <filter> \(command\)\n\nFilters tabular/,
    );
  });
});

describe('suggest', () => {
  function suggestCli(): Cli {
    const cli = new Cli({ hostname: 'h' });
    cli.registerBuiltins();
    const calls: string[] = [];
    cli.register({
      helpShort: 'kill',
      patterns: ['vm kill <vm name or all>'],
      call: () => {},
      suggest: (_raw, key, prefix) => {
        calls.push(`${key}:${prefix}`);
        return ['foo', 'far', 'all'].filter((n) => n.startsWith(prefix));
      },
    });
    cli.register({ helpShort: 'info', patterns: ['vm info'], call: () => {} });
    cli.register({ helpShort: 'send', patterns: ['mesh send <hosts> (command)'], call: () => {} });
    return cli;
  }
  const sorted = async (p: Promise<string[]>): Promise<string[]> => (await p).sort();

  test('literals for the current and the next word', async () => {
    const cli = suggestCli();
    expect(await sorted(cli.suggest('.c'))).toEqual(['.columns', '.compress', '.csv']);
    expect(await sorted(cli.suggest('vm'))).toEqual(['vm']);
    expect(await sorted(cli.suggest('vm '))).toEqual(['info', 'kill']);
    expect(await sorted(cli.suggest('vm i'))).toEqual(['info']);
    expect(await cli.suggest('vm info ')).toEqual([]);
    expect(await cli.suggest('nope ')).toEqual([]);
  });

  test('choices filtered by prefix', async () => {
    const cli = suggestCli();
    expect(await sorted(cli.suggest('.csv '))).toEqual(['false', 'true']);
    expect(await cli.suggest('.csv t')).toEqual(['true']);
  });

  test('string items ask the handler', async () => {
    const cli = suggestCli();
    expect(await sorted(cli.suggest('vm kill f'))).toEqual(['far', 'foo']);
    expect(await sorted(cli.suggest('vm kill '))).toEqual(['all', 'far', 'foo']);
  });

  test('nested commands recurse', async () => {
    const cli = suggestCli();
    expect(await sorted(cli.suggest('mesh send kn1 vm i'))).toEqual(['info']);
    expect(await sorted(cli.suggest('.csv true vm '))).toEqual(['info', 'kill']);
  });

  test('lists give nothing; lex errors give nothing', async () => {
    const cli = suggestCli();
    expect(await cli.suggest('.alias a')).toEqual([]);
    expect(await cli.suggest('vm "open')).toEqual([]);
  });
});

describe('-cli: validate and doc', () => {
  test('builtins are consistent', () => {
    const cli = new Cli({ hostname: 'h' });
    cli.registerBuiltins();
    expect(cli.validate()).toEqual([]);
  });

  test('duplicate and ambiguous patterns are reported', () => {
    const cli = new Cli({ hostname: 'h' });
    const noop = (): void => {};
    cli.register({ helpShort: 'a', patterns: ['foo bar', 'foo bar'], call: noop });
    cli.register({ helpShort: 'b', patterns: ['foo <x>'], call: noop });
    cli.register({ helpShort: 'c', patterns: ['baz [x]', 'baz <a,b> c'], call: noop });
    cli.register({ helpShort: 'd', patterns: ['qux <x>...', 'qux y'], call: noop });
    expect(cli.validate()).toEqual([
      'duplicate pattern: `foo bar`',
      'ambiguous patterns: `foo bar` and `foo <x>`',
      'ambiguous patterns: `qux <x>...` and `qux y`',
    ]);
  });

  test('doc: minimega -cli JSON shape', () => {
    const cli = new Cli({ hostname: 'h' });
    cli.register({ helpShort: 'show', patterns: ['mesh list [all,peers]'], call: () => {} });
    expect(JSON.parse(JSON.stringify(cli.doc()))).toEqual([
      {
        help_short: 'show',
        help_long: '',
        patterns: ['mesh list [all,peers]'],
        shared_prefix: 'mesh list',
        parsed_patterns: [
          [
            { type: 2, text: 'mesh' },
            { type: 2, text: 'list' },
            { type: 17, text: 'all,peers', options: ['all', 'peers'] },
          ],
        ],
      },
    ]);
  });
});
