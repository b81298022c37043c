// `echo [args]...`: the arguments after comment removal and preprocessing.
import type { LocalModule } from './types.js';

export const echoCommand: LocalModule = (d) => {
  d.cli.register({
    helpShort: 'display input text after comment removal',
    helpLong: 'Return the command after comment removal. Similar to the bash echo command.',
    patterns: ['echo [args]...'],
    call(cmd, out) {
      out.respond({ response: (cmd.listArgs.args ?? []).join(' ') });
    },
  });
};
