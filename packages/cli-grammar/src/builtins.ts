// The built-in dot commands (minicli.md §7). They keep their state (flags,
// aliases) in the Cli instance they are registered on.

import { ALIAS_HELP, COLUMNS_HELP, COMPRESS_HELP, FILTER_HELP } from './builtin-help.js';
import type { Cli } from './cli.js';
import { filterMatch, findColumn, parseFilter } from './columns.js';
import { errorMessage, setPreprocess, setRecord } from './command.js';
import type {
  CallEnv,
  Command,
  Flags,
  HandlerSpec,
  Output,
  OutputMode,
  Response,
} from './types.js';

type BoolFlag = Exclude<keyof Flags, 'mode'>;

export function builtinHandlers(cli: Cli): HandlerSpec[] {
  const respond = (out: Output, r: Partial<Response> = {}): void => out.respond(r);

  /** Run the subcommand unrecorded, applying `apply` to batch[0]'s flags of every batch. */
  const override = async (
    cmd: Command,
    out: Output,
    env: CallEnv,
    apply: (f: Flags) => void,
    dropEmpty: boolean,
  ): Promise<void> => {
    const sub = cmd.subcommand!;
    setRecord(sub, false);
    for await (const batch of cli.process(sub, env)) {
      const first = batch[0];
      if (first) {
        first.flags ??= { ...cli.defaults };
        apply(first.flags);
      } else if (dropEmpty) {
        continue;
      }
      out.emit(batch);
    }
  };

  const flagCall =
    (flag: BoolFlag) =>
    async (cmd: Command, out: Output, env: CallEnv): Promise<void> => {
      const on = cmd.boolArgs.true === true;
      if (cmd.subcommand) {
        await override(
          cmd,
          out,
          env,
          (f) => {
            f[flag] = on;
          },
          false,
        );
        return;
      }
      if (on || cmd.boolArgs.false) {
        cli.defaults[flag] = on;
        respond(out);
      } else {
        respond(out, { response: String(cli.defaults[flag]) });
      }
    };

  const modeCall =
    (mode: OutputMode) =>
    async (cmd: Command, out: Output, env: CallEnv): Promise<void> => {
      const on = cmd.boolArgs.true === true;
      const off = cmd.boolArgs.false === true;
      if (cmd.subcommand) {
        await override(
          cmd,
          out,
          env,
          (f) => {
            if (on) f.mode = mode;
            else if (off && f.mode === mode) f.mode = 'table';
          },
          true,
        );
        return;
      }
      if (on) {
        cli.defaults.mode = mode;
        respond(out);
      } else if (off && cli.defaults.mode === mode) {
        cli.defaults.mode = 'table';
        respond(out);
      } else {
        respond(out, { response: String(cli.defaults.mode === mode) });
      }
    };

  const flagPatterns = (name: string): string[] => [
    `.${name} [true,false]`,
    `.${name} <true,false> (command)`,
  ];

  return [
    {
      helpShort: 'enable or disable CSV mode',
      helpLong: 'Enable or disable CSV mode. Enabling CSV mode disables JSON mode, if enabled.',
      patterns: flagPatterns('csv'),
      call: modeCall('csv'),
    },
    {
      helpShort: 'enable or disable JSON mode',
      helpLong: 'Enable or disable JSON mode. Enabling JSON mode disables CSV mode, if enabled.',
      patterns: flagPatterns('json'),
      call: modeCall('json'),
    },
    {
      helpShort: 'enable or disable headers for tabular data',
      helpLong: 'Enable or disable headers for tabular data.',
      patterns: flagPatterns('headers'),
      call: flagCall('headers'),
    },
    {
      helpShort: 'enable or disable hostname annotation',
      helpLong: 'Enable or disable hostname annotation for responses.',
      patterns: flagPatterns('annotate'),
      call: flagCall('annotate'),
    },
    {
      helpShort: 'enable or disable sorting of tabular data',
      helpLong: `Enable or disable sorting of tabular data based on the value in the first
column. Sorting is based on string comparison.`,
      patterns: flagPatterns('sort'),
      call: flagCall('sort'),
    },
    {
      helpShort: 'enable or disable output compression',
      helpLong: COMPRESS_HELP,
      patterns: flagPatterns('compress'),
      call: flagCall('compress'),
    },
    {
      helpShort: 'filter tabular data by column value',
      helpLong: FILTER_HELP,
      patterns: ['.filter <filter> (command)'],
      call: async (cmd, out, env) => {
        let f: ReturnType<typeof parseFilter>;
        try {
          f = parseFilter(cmd.stringArgs.filter ?? '');
        } catch (e) {
          respond(out, { error: errorMessage(e) });
          return;
        }
        const sub = cmd.subcommand!;
        setRecord(sub, false);
        outer: for await (const batch of cli.process(sub, env)) {
          const kept: Response[] = [];
          for (const r of batch) {
            if (f.col === 'host') {
              if (filterMatch(f, r.host)) kept.push(r);
              continue;
            }
            if (r.header === null || r.tabular === null) {
              kept.push(r);
              continue;
            }
            let i: number;
            try {
              i = findColumn(r.header, f.col);
            } catch (e) {
              respond(out, { error: errorMessage(e) });
              continue outer;
            }
            r.tabular = r.tabular.filter((row) => filterMatch(f, row[i] ?? ''));
            kept.push(r);
          }
          out.emit(kept);
        }
      },
    },
    {
      helpShort: 'show certain columns from tabular data',
      helpLong: COLUMNS_HELP,
      patterns: ['.columns <columns as csv> (command)'],
      call: async (cmd, out, env) => {
        // one list per call, canonicalised in place as columns are resolved
        // (responses share it, as in minimega)
        const columns = (cmd.stringArgs.columns ?? '').split(',');
        const sub = cmd.subcommand!;
        setRecord(sub, false);
        outer: for await (const batch of cli.process(sub, env)) {
          for (const r of batch) {
            if (r.header === null) continue;
            if (r.tabular === null) {
              r.header = columns;
              continue;
            }
            const rows: string[][] = r.tabular.map(() => []);
            for (const [i, col] of columns.entries()) {
              let j: number;
              try {
                j = findColumn(r.header, col);
              } catch (e) {
                respond(out, { error: errorMessage(e) });
                continue outer;
              }
              columns[i] = r.header[j]!;
              for (const [k, row] of r.tabular.entries()) rows[k]!.push(row[j] ?? '');
            }
            r.tabular = rows;
            r.header = columns;
          }
          out.emit(batch);
        }
      },
    },
    {
      helpShort: 'enable or disable history recording',
      helpLong: 'Enable or disable the recording of a given command in the command history.',
      patterns: flagPatterns('record'),
      call: async (cmd, out, env) => {
        if (cmd.subcommand) {
          // the whole line is recorded iff `true`; the subcommand never on its own
          cmd.record = cmd.boolArgs.true === true;
        } else if (!cmd.boolArgs.true) {
          cmd.record = false; // `.record false` is itself not recorded
        }
        await flagCall('record')(cmd, out, env);
      },
    },
    {
      helpShort: 'enable or disable preprocessor',
      helpLong: 'Enable or disable the command preprocessor.',
      patterns: flagPatterns('preprocess'),
      call: async (cmd, out, env) => {
        if (cmd.subcommand) setPreprocess(cmd.subcommand, cmd.boolArgs.true === true);
        await flagCall('preprocess')(cmd, out, env);
      },
    },
    {
      helpShort: 'create an alias',
      helpLong: ALIAS_HELP,
      patterns: ['.alias', '.alias <alias>...'],
      call: (cmd, out) => {
        const alias = (cmd.listArgs.alias ?? []).join(' ');
        if (alias === '') {
          const rows = [...cli.aliases.entries()].map(([k, v]) => [k, v]);
          respond(out, { header: ['alias', 'expansion'], tabular: rows.length > 0 ? rows : null });
          return;
        }
        const eq = alias.indexOf('=');
        if (eq < 0) {
          respond(out, { error: 'expected alias of format `alias=expansion`' });
          return;
        }
        cli.aliases.set(alias.slice(0, eq), alias.slice(eq + 1));
        respond(out);
      },
    },
    {
      helpShort: 'remove an alias',
      helpLong: 'Removes an alias by name. See .alias for a listing of aliases.',
      patterns: ['.unalias <alias>'],
      call: (cmd, out) => {
        cli.aliases.delete(cmd.stringArgs.alias ?? '');
        respond(out);
      },
    },
    {
      helpShort: 'print or set env variables',
      helpLong:
        'Print or update env variables. To unset an env variables, use:\n\n\t.env <name> ""',
      patterns: ['.env [name]', '.env <name> <value>'],
      call: (cmd, out) => {
        const name = cmd.stringArgs.name ?? '';
        const value = cmd.stringArgs.value;
        if (value !== undefined && value !== '') {
          cli.env.set(name, value);
          respond(out);
        } else if (value !== undefined) {
          cli.env.unset(name);
          respond(out);
        } else if (name !== '') {
          respond(out, { response: cli.env.get(name) ?? '' });
        } else {
          const rows = cli.env.entries().map(([k, v]) => [k, v]);
          respond(out, { header: ['key', 'value'], tabular: rows.length > 0 ? rows : null });
        }
      },
    },
  ];
}
