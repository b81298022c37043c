// `args`: the command-line arguments this daemon was started with.
import type { LocalModule } from './types.js';

export const argsCommand: LocalModule = (d) => {
  d.cli.register({
    helpShort: 'display arguments used',
    helpLong: 'Display the command-line arguments minimega was started with.',
    patterns: ['args'],
    call(_cmd, out) {
      out.respond({ response: process.argv.slice(2).join(' ') });
    },
  });
};
