// The built-in dot commands (minicli.md §7). They keep their state (flags,
// aliases) in the Cli instance they are registered on.
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

/** The environment `.env` reads and writes. */
export interface EnvStore {
  get(name: string): string | undefined;
  set(name: string, value: string): void;
  unset(name: string): void;
  entries(): Array<[string, string]>;
}

export const processEnv: EnvStore = {
  get: (name) => process.env[name],
  set: (name, value) => {
    process.env[name] = value;
  },
  unset: (name) => {
    delete process.env[name];
  },
  entries: () =>
    Object.entries(process.env).flatMap(([k, v]) =>
      v === undefined ? [] : [[k, v] as [string, string]],
    ),
};

/** An EnvStore backed by a Map (tests, sandboxes). */
export function mapEnv(init: Record<string, string> = {}): EnvStore {
  const m = new Map(Object.entries(init));
  return {
    get: (name) => m.get(name),
    set: (name, value) => {
      m.set(name, value);
    },
    unset: (name) => {
      m.delete(name);
    },
    entries: () => [...m.entries()],
  };
}

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

const COMPRESS_HELP = `Enable or disable output compression of like output from multiple responses.
For example, if you executed a command using mesh, such as:

	mesh send node[0-9] version

You would expect to get the same minimega version for all 10 nodes. Rather than
print out the same version 10 times, minicli with compression enabled would print:

	node[0-9]: minimega <version>

Assuming that all the minimega instances are running the same version. If one node was running
a different version, compression is still useful:

	node[0-4,6-9]: minimega <version>
	node5: minimega <version>

Errors are never compressed. Compression is not applied when the output mode is JSON.`;

const FILTER_HELP = `Filters tabular data based on the value in a particular column. For example, to
search for vms in a particular state:

	.filter state=running vm info

Filters can also be inverted:

	.filter state!=running vm info

Filters are case insensitive and may be stacked:

	.filter state=RUNNING .filter vcpus=4 vm info

If the column value is a list or an object (i.e. "[...]", "{...}"), then
.filter implicitly uses substring matching.

Substring matching can be specified explicity:

	.filter state~run vm info
	.filter state!~run vm info`;

const COLUMNS_HELP = `Filter tabular data using particular column names. For example, to display
only the vm name and state:

	.columns name,state vm info

Column names are comma-seperated. .columns can be used in conjunction with
.filter to slice a subset of the rows and columns from a command, however,
these commands are not always interchangeable. For example, the following is
acceptable:

	.columns name,state .filter vcpus=4 vm info

While the following is not:

	.filter vcpus=4 .columns name,state vm info

This is because .columns strips all columns except for name and state from the
tabular data.

Note: the annotate flag controls the presence of the host column.`;

const ALIAS_HELP = `Create a new alias similar to bash aliases. Aliases can be used as a shortcut
to avoid typing out a long command. Only one alias is applied per command and
only to the beginning of a command. For example:

 .alias vmr=.filter state=running vm info

The alias is interpreted as the text up to the first "=". Runing .alias without
any argument will list the existing aliases.

This alias allows the user to type "vmr" rather than the using a filter to list
the running VMs.

 .unalias removes a previously set alias.

Note: we *strongly* recommend that you avoid aliases, unless you are using the
shell interactively. Aliases save typing which should not be necessary if you
are writing a script.`;
