// Register a command, run it, and render a multi-host response the way
// minimega prints it. Run: pnpm exec tsx --conditions=source examples/basic.ts
import { type Batch, Cli } from '@mm/cli-grammar';

export async function example(): Promise<string> {
  const cli = new Cli({ hostname: 'kn1' });
  cli.registerBuiltins(); // .columns .filter .csv .json .annotate ...

  // A command that answers for three hosts at once, as `mesh send` would.
  cli.register({
    helpShort: 'show VM state',
    patterns: ['vm info', 'vm info <name>'],
    call: (cmd, out) => {
      const rows: Record<string, string[][]> = {
        kn1: [['web', 'RUNNING', '2']],
        kn2: [['db', 'RUNNING', '4']],
        kn10: [['cache', 'PAUSED', '1']],
      };
      out.emit(
        Object.entries(rows).map(([host, tabular]) => ({
          host,
          response: '',
          header: ['name', 'state', 'vcpus'],
          tabular: tabular.filter((r) => !cmd.stringArgs.name || r[0] === cmd.stringArgs.name),
          error: '',
        })),
      );
    },
  });
  cli.register({
    helpShort: 'print the version',
    patterns: ['version'],
    call: (_cmd, out) =>
      out.emit(
        ['kn1', 'kn2', 'kn3', 'kn10'].map((host) =>
          cli.response({ host, response: 'minimega 2.9' }),
        ),
      ),
  });

  const lines: string[] = [];
  const show = async (line: string): Promise<void> => {
    lines.push(`$ ${line}`);
    for await (const batch of cli.run(line) as AsyncIterable<Batch>) {
      const text = cli.render(batch);
      const errors = cli.renderErrors(batch);
      if (text) lines.push(text);
      if (errors) lines.push(errors);
    }
  };

  await show('vm inf'); // unique prefixes are enough
  await show('.columns name,state .filter state=running vm info');
  await show('.csv true vm info db');
  await show('version'); // identical answers are compressed into a host range
  await show('vm bogus');
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await example());
}
