import { describe, expect, test } from 'vitest';
import { type Cli, type Command, mapEnv } from '../src/index.js';
import { resp, runAll, testCli, transcript } from './helpers.js';

/** A Cli with a fake `vm info` (four VMs, foo2 running) and the minitest prolog applied. */
async function vmCli(): Promise<Cli> {
  const cli = testCli('mm0');
  cli.register({
    helpShort: 'vm info',
    patterns: ['vm info'],
    call: (_c, out) =>
      out.respond({
        header: ['id', 'name', 'state', 'ip', 'ip6', 'vcpus', 'snapshot'],
        tabular: [
          ['0', 'foo1', 'BUILDING', '[]', '[]', '1', 'false'],
          ['1', 'foo2', 'RUNNING', '[]', '[]', '4', 'false'],
          ['2', 'foo3', 'BUILDING', '[]', '[]', '1', 'false'],
          ['3', 'bar', 'BUILDING', '[]', '[]', '4', 'false'],
        ],
      }),
  });
  await runAll(cli, '.annotate false');
  return cli;
}

/** Run lines like a minitest file and return the transcript. */
async function script(cli: Cli, lines: string[]): Promise<string> {
  const out: string[] = [];
  for (const line of lines) {
    out.push(`## ${line}`);
    const t = await transcript(cli, cli.expandAliases(line));
    if (t !== '') out.push(t);
  }
  return out.join('\n');
}

describe('.filter', () => {
  test('builtins.want: filters', async () => {
    const cli = await vmCli();
    expect(
      await script(cli, [
        '.filter name=bar .column name vm info',
        '.filter name!=bar .column name vm info',
        '.filter name=foo .column name vm info',
        '.filter name~foo .column name vm info',
        '.filter name!~foo .column name vm info',
      ]),
    ).toBe(
      [
        '## .filter name=bar .column name vm info',
        'name',
        'bar',
        '## .filter name!=bar .column name vm info',
        'name',
        'foo1',
        'foo2',
        'foo3',
        '## .filter name=foo .column name vm info',
        '## .filter name~foo .column name vm info',
        'name',
        'foo1',
        'foo2',
        'foo3',
        '## .filter name!~foo .column name vm info',
        'name',
        'bar',
      ].join('\n'),
    );
  });

  test('values and columns are case-insensitive, columns by prefix', async () => {
    const cli = await vmCli();
    expect(await transcript(cli, '.columns name .filter ST=running vm info')).toBe('name\nfoo2');
    expect(await transcript(cli, '.columns name .filter state=RUNNING vm info')).toBe('name\nfoo2');
  });

  test('stacked filters', async () => {
    const cli = await vmCli();
    expect(
      await transcript(cli, '.columns name .filter state=building .filter vcpus=4 vm info'),
    ).toBe('name\nbar');
  });

  test('separator order: `a=b=c` is invalid, `name~a=b` means contains "a=b"', async () => {
    const cli = await vmCli();
    expect(await transcript(cli, '.filter a=b=c vm info')).toBe('E: invalid filter, see help');
    expect(await transcript(cli, '.filter nofilter vm info')).toBe('E: invalid filter, see help');
    expect(await transcript(cli, '.filter name~a=b vm info')).toBe('');
  });

  test('lists and objects match by substring implicitly', async () => {
    const cli = testCli();
    cli.defaults.annotate = false;
    cli.register({
      helpShort: 't',
      patterns: ['t'],
      call: (_c, out) =>
        out.respond({
          header: ['name', 'tags', 'ip'],
          tabular: [
            ['a', '{"env":"prod"}', '[10.0.0.1]'],
            ['b', '{}', '[10.0.0.2]'],
          ],
        }),
    });
    expect(await transcript(cli, '.columns name .filter tags=prod t')).toBe('name\na');
    expect(await transcript(cli, '.columns name .filter ip=0.2 t')).toBe('name\nb');
    expect(await transcript(cli, '.columns name .filter ip!=0.2 t')).toBe('name\na');
    expect(await transcript(cli, '.columns name .filter name=A t')).toBe('name\na');
  });

  test('`host` filters whole responses, whatever their shape', async () => {
    const cli = testCli('h1');
    cli.register({
      helpShort: 'multi',
      patterns: ['multi'],
      call: (_c, out) =>
        out.emit([
          resp('h1', { response: 'one' }),
          resp('h2', { response: 'two' }),
          resp('h3', { error: 'three failed' }),
        ]),
    });
    const b = await runAll(cli, '.filter host!=h1 multi');
    expect(b[0]!.map((r) => r.host)).toEqual(['h2', 'h3']);
    expect(await transcript(cli, '.filter host=h3 multi')).toBe('E: three failed');
  });

  test('non-tabular responses pass through; a failed lookup replaces only that batch', async () => {
    const cli = testCli('h');
    cli.defaults.annotate = false;
    cli.register({
      helpShort: 'two',
      patterns: ['two'],
      call: (_c, out) => {
        out.emit([resp('h', { header: ['other'], tabular: [['x']] })]);
        out.emit([resp('h', { header: ['name'], tabular: [['a'], ['b']] })]);
        out.emit([resp('h', { response: 'plain' })]);
      },
    });
    expect(await transcript(cli, '.filter name=b two')).toBe(
      'E: no such column `name`\nname\nb\nplain',
    );
  });
});

describe('.columns', () => {
  test('builtins.want: apropos matching', async () => {
    const cli = await vmCli();
    const t = await script(cli, [
      '.columns ip6,ip .columns ip,ip6 vm info',
      '.columns ip,ip6 .columns ip6,ip vm info',
      '.filter name~foo .col ip6,ip,name vm info',
      '.filter name~foo .col ip,ip6,name vm info',
      '.columns i vm info',
      '.columns i,s vm info',
      '.columns s vm info',
      '.filter name~foo .col state vm info',
    ]);
    expect(t).toBe(
      [
        '## .columns ip6,ip .columns ip,ip6 vm info',
        'ip6  | ip',
        '[]   | []',
        '[]   | []',
        '[]   | []',
        '[]   | []',
        '## .columns ip,ip6 .columns ip6,ip vm info',
        'ip   | ip6',
        '[]   | []',
        '[]   | []',
        '[]   | []',
        '[]   | []',
        '## .filter name~foo .col ip6,ip,name vm info',
        'ip6  | ip | name',
        '[]   | [] | foo1',
        '[]   | [] | foo2',
        '[]   | [] | foo3',
        '## .filter name~foo .col ip,ip6,name vm info',
        'ip   | ip6 | name',
        '[]   | []  | foo1',
        '[]   | []  | foo2',
        '[]   | []  | foo3',
        '## .columns i vm info',
        'E: ambiguous column `i`',
        '## .columns i,s vm info',
        'E: ambiguous column `i`',
        '## .columns s vm info',
        'E: ambiguous column `s`',
        '## .filter name~foo .col state vm info',
        'E: no such column `name`',
      ].join('\n'),
    );
  });

  test('order, repeats, canonical names; no lower-casing of requested names', async () => {
    const cli = await vmCli();
    expect(await transcript(cli, '.columns sta,na,na .filter id=1 vm info')).toBe(
      'state   | name | name\nRUNNING | foo2 | foo2',
    );
    expect(await transcript(cli, '.columns NAME vm info')).toBe('E: no such column `NAME`');
  });

  test('a header-only response gets the requested list as its header', async () => {
    const cli = testCli('h');
    cli.register({
      helpShort: 'empty',
      patterns: ['empty'],
      call: (_c, out) => out.respond({ header: ['name', 'state'], tabular: null }),
    });
    const b = await runAll(cli, '.columns st,na empty');
    expect(b[0]![0]!.header).toEqual(['st', 'na']);
    expect(cli.render(b[0]!)).toBe('');
  });

  test('host is not a data column', async () => {
    const cli = await vmCli();
    expect(await transcript(cli, '.columns host,name vm info')).toBe('E: no such column `host`');
  });
});

describe('flag builtins', () => {
  test('show / set each flag', async () => {
    const cli = testCli();
    for (const flag of [
      'annotate',
      'compress',
      'headers',
      'sort',
      'preprocess',
      'record',
    ] as const) {
      expect(await transcript(cli, `.${flag}`)).toBe('mm0: true');
      expect(await transcript(cli, `.${flag} false`)).toBe('');
      expect(cli.defaults[flag]).toBe(false);
      expect(await transcript(cli, `.${flag}`)).toBe(flag === 'annotate' ? 'false' : 'mm0: false');
      expect(await transcript(cli, `.${flag} true`)).toBe('');
      expect(cli.defaults[flag]).toBe(true);
    }
  });

  test('builtins.want: headers and csv', async () => {
    const cli = await vmCli();
    const t = await script(cli, [
      '.headers false .column name vm info',
      '.headers false',
      '.column name vm info',
      '.headers true',
      '.csv true .column name,state vm info',
      '.csv true',
      '.column name,state vm info',
      '.csv false',
    ]);
    const names = ['bar', 'foo1', 'foo2', 'foo3'];
    const csv = ['name,state', 'bar,BUILDING', 'foo1,BUILDING', 'foo2,RUNNING', 'foo3,BUILDING'];
    expect(t).toBe(
      [
        '## .headers false .column name vm info',
        ...names,
        '## .headers false',
        '## .column name vm info',
        ...names,
        '## .headers true',
        '## .csv true .column name,state vm info',
        ...csv,
        '## .csv true',
        '## .column name,state vm info',
        ...csv,
        '## .csv false',
      ].join('\n'),
    );
    expect(cli.defaults.mode).toBe('table');
  });

  test('.csv/.json modes: show, switch, `false` only resets its own mode', async () => {
    const cli = testCli();
    expect(await transcript(cli, '.csv')).toBe('mm0: false');
    await runAll(cli, '.json true');
    expect(cli.defaults.mode).toBe('json');
    const b = await runAll(cli, '.csv false');
    expect(cli.defaults.mode).toBe('json');
    expect(b[0]![0]!.response).toBe('false');
    await runAll(cli, '.csv true');
    expect(cli.defaults.mode).toBe('csv');
    await runAll(cli, '.csv false');
    expect(cli.defaults.mode).toBe('table');
  });

  test('overrides nest; for one flag the outermost wins', async () => {
    const cli = await vmCli();
    expect(
      await transcript(cli, '.csv true .json true .columns name .filter name=bar vm info'),
    ).toBe('name\nbar');
    const j = await transcript(cli, '.json true .csv true .columns name .filter name=bar vm info');
    expect(JSON.parse(j)).toEqual([
      { Host: 'mm0', Response: '', Header: ['name'], Tabular: [['bar']], Error: '', Data: null },
    ]);
    expect(
      await transcript(cli, '.headers true .headers false .columns name .filter name=bar vm info'),
    ).toBe('name\nbar');
    expect(await transcript(cli, '.annotate true .columns name .filter name=bar vm info')).toBe(
      'host | name\nmm0  | bar',
    );
    expect(
      await transcript(cli, '.csv false .csv true .columns name .filter name=bar vm info'),
    ).toBe('name\nbar');
    // the defaults were not touched
    expect(cli.defaults).toMatchObject({ annotate: false, headers: true, mode: 'table' });
  });

  test('overrides set flags on batch[0] of every batch; mode overrides drop empty batches', async () => {
    const cli = testCli('h');
    cli.register({
      helpShort: 'many',
      patterns: ['many'],
      call: (_c, out) => {
        out.emit([resp('h', { response: 'a' })]);
        out.emit([]);
        out.emit([resp('h', { response: 'b' }), resp('g', { response: 'c' })]);
      },
    });
    const sorted = await runAll(cli, '.sort false many');
    expect(sorted).toHaveLength(3);
    expect(sorted.map((b) => b[0]?.flags?.sort)).toEqual([false, undefined, false]);
    expect(sorted[2]![1]!.flags).toBeUndefined();
    const csv = await runAll(cli, '.csv true many');
    expect(csv).toHaveLength(2);
    expect(csv.every((b) => b[0]!.flags!.mode === 'csv')).toBe(true);
  });

  test('history.want: .record and .preprocess', async () => {
    const cli = testCli();
    cli.defaults.annotate = false;
    cli.preprocessor = async (cmd: Command) => {
      if ((cmd.listArgs.args ?? []).some((a) => a.startsWith('http://'))) {
        throw new Error('get /: file not found');
      }
    };
    cli.history.clear();
    const t = await script(cli, [
      'echo http://localhost/',
      '.preprocess false',
      '.preprocess',
      'echo http://localhost/',
      '.preprocess true',
      '.preprocess false echo http://localhost/',
      '.record false echo hello, nobody',
      '.record true echo hello, world',
      '.record false',
      'echo hello, off the record',
      '.record true',
      'echo hello again, world',
    ]);
    expect(t).toBe(
      [
        '## echo http://localhost/',
        'E: get /: file not found',
        '## .preprocess false',
        '## .preprocess',
        'false',
        '## echo http://localhost/',
        'http://localhost/',
        '## .preprocess true',
        '## .preprocess false echo http://localhost/',
        'http://localhost/',
        '## .record false echo hello, nobody',
        'hello, nobody',
        '## .record true echo hello, world',
        'hello, world',
        '## .record false',
        '## echo hello, off the record',
        'hello, off the record',
        '## .record true',
        '## echo hello again, world',
        'hello again, world',
      ].join('\n'),
    );
    cli.history.clear();
    await script(cli, [
      '.record false echo hello, nobody',
      '.record true echo hello, world',
      '.record false',
      'echo hello, off the record',
      '.record true',
      'echo hello again, world',
    ]);
    expect(cli.history.text()).toBe('.record true echo hello, world\necho hello again, world');
  });
});

describe('.alias / .unalias', () => {
  test('builtins.want: aliases', async () => {
    const cli = await vmCli();
    const t = await script(cli, [
      '.alias',
      '.alias vmr=.column name .filter state=running vm info',
      '.alias',
      'vmr',
      '.unalias vmr',
      '.alias',
    ]);
    expect(t).toBe(
      [
        '## .alias',
        '## .alias vmr=.column name .filter state=running vm info',
        '## .alias',
        'alias | expansion',
        'vmr   | .column name .filter state=running vm info',
        '## vmr',
        'name',
        'foo2',
        '## .unalias vmr',
        '## .alias',
      ].join('\n'),
    );
  });

  test('format errors, overwrite, name not trimmed, missing unalias is fine', async () => {
    const cli = testCli();
    expect(await transcript(cli, '.alias nothing here')).toBe(
      'E: expected alias of format `alias=expansion`',
    );
    await runAll(cli, '.alias a=b');
    await runAll(cli, '.alias a=c=d');
    expect(cli.aliases.get('a')).toBe('c=d');
    await runAll(cli, '.alias "x "=y');
    expect(cli.aliases.get('x ')).toBe('y');
    expect(await transcript(cli, '.unalias nope')).toBe('');
  });
});

describe('.env', () => {
  test('show, set, unset, list', async () => {
    const env = mapEnv({ HOME: '/root' });
    const cli = testCli();
    (cli as { env: typeof env }).env = env;
    cli.defaults.annotate = false;
    expect(await transcript(cli, '.env HOME')).toBe('/root');
    expect(await transcript(cli, '.env FOO bar')).toBe('');
    expect(env.get('FOO')).toBe('bar');
    expect(await transcript(cli, '.env')).toBe('key  | value\nFOO  | bar\nHOME | /root');
    expect(await transcript(cli, '.env FOO ""')).toBe('');
    expect(env.get('FOO')).toBeUndefined();
    expect(await transcript(cli, '.env FOO')).toBe('');
  });
});
