// `read <file> [check,]`: run a script of commands, streaming each command's
// batches to the client. Lines are not alias-expanded; nested `read` and
// `read` over the mesh are refused; an invalid line stops the script, a
// command answering with an error does not.
import type { Command } from '@mm/cli-grammar';
import { markNoRecordIfRead } from '../../daemon/core.js';
import { openServed } from '../../daemon/served-files.js';
import { LineTooLongError, scriptLines } from './script-lines.js';
import type { LocalModule } from './types.js';

/** longest script line (a command line longer than this is no script) */
const MAX_LINE = 1 << 20;

/** true when any level of `cmd` is a `read` */
function readsAScript(cmd: Command): boolean {
  for (let c: Command | undefined = cmd; c; c = c.subcommand) {
    if (/^read(\s|$)/.test(c.original.trimStart())) return true;
  }
  return false;
}

function setSource(cmd: Command, source: string): void {
  for (let c: Command | undefined = cmd; c; c = c.subcommand) c.source = source;
}

export const readCommand: LocalModule = (d) => {
  d.cli.register({
    helpShort: 'read and execute a command file',
    helpLong: `Read a command file and execute it. This has the same behavior as if you typed the file in manually.

read stops if it reads an invalid command. read does not stop if a command returns an error.
Nested reads are not allowed.

If the optional argument check is specified then read doesn't execute any of the commands in the file.
Instead, it checks that all the commands are syntactically valid. This can identify mistakes in scripts
before they are executed.`,
    patterns: ['read <file> [check,]'],
    async call(cmd, out, env) {
      if (cmd.source === 'meshage') throw new Error('cannot run `read` over meshage');
      if (cmd.source !== '') throw new Error('cannot run nested `read` commands');
      const file = cmd.stringArgs.file!;
      const check = cmd.boolArgs.check === true;
      // refuses FIFOs, devices, /proc, the daemon's own files... (served-files.ts)
      const { handle } = await openServed(file, 'read', d.flags);
      const input = handle.createReadStream({ autoClose: false });
      try {
        let lineNo = 0;
        for await (const line of scriptLines(input, MAX_LINE)) {
          lineNo++;
          if (env.signal?.aborted) return;
          let c: Command | null;
          try {
            c = d.cli.compile(line);
          } catch (e) {
            throw new Error(`${file}:${lineNo}: ${(e as Error).message}`);
          }
          if (!c || c.nop || check) continue;
          // a script line runs as if typed (source ''), as minimega's `read`
          // sets no source: its namespace commands fan out to the
          // namespace's hosts as typed ones do. Only a nested `read` is
          // marked with the file, so that `read` refuses to run.
          if (readsAScript(c)) setSource(c, file);
          markNoRecordIfRead(c);
          for await (const batch of d.cli.process(c, env)) out.emit(batch);
        }
      } catch (e) {
        if (e instanceof LineTooLongError) {
          throw new Error(`${file}:${e.line}: line longer than ${e.max} bytes (not a script?)`);
        }
        throw e;
      } finally {
        input.destroy();
        await handle.close();
      }
    },
  });
};
