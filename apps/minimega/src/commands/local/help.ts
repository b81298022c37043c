// `help [command]...`
import type { LocalModule } from './types.js';

export const helpCommand: LocalModule = (d) => {
  d.cli.register({
    helpShort: 'show command help',
    helpLong: `Show help on a command. If called with no arguments, show a summary of all commands.`,
    patterns: ['help [command]...'],
    call(cmd, out) {
      out.respond({ response: d.cli.help((cmd.listArgs.command ?? []).join(' ')) });
    },
  });
};
