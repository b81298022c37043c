import { describe, expect, test } from 'vitest';
import { Cli, type Command, InvalidCommandError } from '../src/index.js';
import { runAll, testCli, transcript } from './helpers.js';

describe('Cli core', () => {
  test('register, compile and run a command', async () => {
    const cli = testCli('node1');
    cli.register({
      helpShort: 'say hello',
      patterns: ['hello <name>'],
      call: (cmd, out) => out.respond({ response: `hi ${cmd.stringArgs.name}` }),
    });
    const cmd = cli.compile('  hello "big world"  ') as Command;
    expect(cmd.original).toBe('hello "big world"');
    expect(cmd.words).toEqual(['hello', 'big world']);
    expect(cmd.stringArgs).toEqual({ name: 'big world' });
    expect(cmd.record).toBe(true);
    const batches = await runAll(cli, 'hello bob');
    expect(batches).toHaveLength(1);
    expect(batches[0]![0]).toMatchObject({ host: 'node1', response: 'hi bob', error: '' });
    expect(cli.render(batches[0]!)).toBe('node1: hi bob');
    expect(cli.history.entries()).toEqual(['hello bob']);
  });

  test('a handler that answers nothing sends one empty response (as minimega); silent ones none', async () => {
    const cli = testCli('node1');
    cli.register({ helpShort: 'setter', patterns: ['set <v>'], call: () => {} });
    cli.register({ helpShort: 'goes away', patterns: ['vanish'], silent: true, call: () => {} });
    expect(await runAll(cli, 'set 1')).toEqual([
      [{ host: 'node1', response: '', header: null, tabular: null, error: '' }],
    ]);
    expect(await runAll(cli, 'vanish')).toEqual([]);
  });

  test('blank input compiles to null and runs nothing', async () => {
    const cli = testCli();
    expect(cli.compile('   ')).toBeNull();
    expect(await runAll(cli, '')).toEqual([]);
    expect(cli.history.entries()).toEqual([]);
  });

  test('comment lines are no-ops, not recorded', async () => {
    const cli = testCli();
    const cmd = cli.compile('# hello') as Command;
    expect(cmd).toMatchObject({ nop: true, original: '# hello', record: false });
    expect(await runAll(cli, '# hello')).toEqual([]);
    expect(cli.history.entries()).toEqual([]);
  });

  test('unknown command → InvalidCommandError, and one error batch from run()', async () => {
    const cli = testCli();
    expect(() => cli.compile('  nope  x ')).toThrow(InvalidCommandError);
    try {
      cli.compile('nope x');
    } catch (e) {
      expect((e as InvalidCommandError).code).toBe('ERR_INVALID_COMMAND');
      expect((e as Error).message).toBe('invalid command: `nope x`');
    }
    expect(await transcript(cli, 'nope x')).toBe('E: invalid command: `nope x`');
    expect(await transcript(cli, 'echo "open')).toBe('E: missing terminal "');
  });

  test('a throwing handler becomes an error response', async () => {
    const cli = new Cli({ hostname: 'h' });
    cli.register({
      helpShort: 'boom',
      patterns: ['boom'],
      call: () => {
        throw new Error('kaboom');
      },
    });
    const b = await runAll(cli, 'boom');
    expect(cli.renderErrors(b[0]!)).toBe('Error (h): kaboom');
  });

  test('batches stream while the handler runs', async () => {
    const cli = new Cli({ hostname: 'h' });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    cli.register({
      helpShort: 'slow',
      patterns: ['slow'],
      call: async (_c, out) => {
        out.respond({ response: 'first' });
        await gate;
        out.respond({ response: 'second' });
      },
    });
    const it = cli.run('slow')[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value[0].response).toBe('first');
    expect(cli.history.entries()).toEqual([]); // recorded only after the handler finishes
    release();
    expect((await it.next()).value[0].response).toBe('second');
    expect((await it.next()).done).toBe(true);
    expect(cli.history.entries()).toEqual(['slow']);
  });

  test('preprocessor rewrites args; its errors give an empty-host error', async () => {
    const cli = testCli();
    cli.preprocessor = async (cmd) => {
      const args = cmd.listArgs.args;
      if (args?.includes('fail')) throw new Error('get /: file not found');
      if (args) cmd.listArgs.args = args.map((a) => a.replace('$X', 'expanded'));
    };
    const ok = await runAll(cli, 'echo $X');
    expect(ok[0]![0]!.response).toBe('expanded');
    const bad = await runAll(cli, 'echo fail');
    expect(bad[0]![0]).toMatchObject({ host: '', error: 'get /: file not found' });
    cli.defaults.preprocess = false;
    const raw = await runAll(cli, 'echo $X');
    expect(raw[0]![0]!.response).toBe('$X');
  });

  test('history keeps the newest entries up to the limit', async () => {
    const warnings: string[] = [];
    const cli = new Cli({ hostname: 'h', historyLimit: 3, warn: (m) => warnings.push(m) });
    cli.registerBuiltins();
    for (const v of ['true', 'true', 'true', 'true', 'true']) {
      for await (const _ of cli.run(`.sort ${v}`)) {
        // drain
      }
    }
    await runAll(cli, '.annotate true');
    expect(cli.history.entries()).toEqual(['.sort true', '.sort true', '.annotate true']);
    expect(warnings).toHaveLength(1);
    cli.history.clear();
    expect(cli.history.text()).toBe('');
  });

  test('history is capped by bytes: the oldest go first, an over-long line is noted', async () => {
    const cli = new Cli({ hostname: 'h', historyBytes: 30, historyLineBytes: 20 });
    cli.registerBuiltins();
    await runAll(cli, '.annotate true'); // 14 bytes
    await runAll(cli, '.annotate false'); // 15 bytes
    expect(cli.history.entries()).toEqual(['.annotate true', '.annotate false']);
    await runAll(cli, '.sort true'); // 10: 39 > 30, the oldest goes
    expect(cli.history.entries()).toEqual(['.annotate false', '.sort true']);
    await runAll(cli, `.columns ${'x'.repeat(40)} .sort true`);
    const last = cli.history.entries().at(-1);
    expect(last).toBe('# command of 60 bytes not kept in the history (longer than 20)');
    expect(cli.history.entries()).toHaveLength(1); // the note itself is over 30 bytes: only it is kept
  });

  test('default history limit is 10 000', async () => {
    const cli = testCli();
    for (let i = 0; i < 10_005; i++) await runAll(cli, `echo ${i}`);
    const entries = cli.history.entries();
    expect(entries).toHaveLength(10_000);
    expect(entries[0]).toBe('echo 5');
    expect(entries.at(-1)).toBe('echo 10004');
  });

  test('instances do not share flags, aliases or history', async () => {
    const a = testCli('a');
    const b = testCli('b');
    await runAll(a, '.annotate false');
    await runAll(a, '.alias x=echo hi');
    expect(a.defaults.annotate).toBe(false);
    expect(b.defaults.annotate).toBe(true);
    expect(b.aliases.size).toBe(0);
    expect(b.history.entries()).toEqual([]);
  });

  test('a consumer that stops early does not stop the handler or its history entry', async () => {
    const cli = new Cli({ hostname: 'h' });
    let finished = false;
    cli.register({
      helpShort: 'many',
      patterns: ['many'],
      call: async (_c, out) => {
        for (let i = 0; i < 5; i++) {
          out.respond({ response: String(i) });
          await new Promise((r) => setTimeout(r, 1));
        }
        finished = true;
      },
    });
    for await (const b of cli.run('many')) {
      expect(b[0]!.response).toBe('0');
      break;
    }
    await expect.poll(() => finished).toBe(true);
    await expect.poll(() => cli.history.entries()).toEqual(['many']);
  });
});
