// `history`, `clear history` and `write <file>` (the history to a file).
import { writeFile } from 'node:fs/promises';
import type { LocalModule } from './types.js';

export const historyCommands: LocalModule = (d) => {
  d.cli.register({
    helpShort: 'show command history',
    helpLong:
      'history displays a list of all the commands that have been invoked since minimega started on this host, or since the last time the history was cleared.',
    patterns: ['history'],
    call(_cmd, out) {
      out.respond({ response: d.cli.history.text() });
    },
  });
  d.cli.register({
    helpShort: 'reset history',
    helpLong: 'Reset the command history. See "help history" for more information.',
    patterns: ['clear history'],
    call(cmd) {
      d.cli.history.clear();
      // the history starts empty after this: do not record the clearing itself
      cmd.record = false;
    },
  });
  d.cli.register({
    helpShort: 'write the command history to a file',
    helpLong:
      'Write the command history to file. This is useful for handcrafting configs on the minimega command line and then saving them for later use. Args that failed, as well as some commands that do not impact the VM state, such as help, do not get recorded.',
    patterns: ['write <file>'],
    async call(cmd) {
      const entries = d.cli.history.entries();
      await writeFile(cmd.stringArgs.file!, entries.map((e) => `${e}\n`).join(''));
    },
  });
};
