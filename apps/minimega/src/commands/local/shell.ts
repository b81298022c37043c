// `shell <command>...`: run a program (no shell) and answer with its stdout.
import { execa } from 'execa';
import { lookPath } from './lookpath.js';
import type { LocalModule } from './types.js';

export const shellCommand: LocalModule = (d) => {
  d.cli.register({
    helpShort: 'execute a command',
    helpLong: `Execute a command under the credentials of the running user.

Commands run until they complete or error, so take care not to execute a command
that does not return.`,
    patterns: ['shell <command>...'],
    async call(cmd, out, env) {
      const [file, ...args] = cmd.listArgs.command ?? [];
      const path = lookPath(file!);
      const r = await execa(path, args, {
        reject: false,
        stdin: 'ignore',
        stripFinalNewline: false,
        ...(env.signal ? { cancelSignal: env.signal } : {}),
      });
      let error = '';
      if (r.failed) {
        const why =
          r.exitCode !== undefined
            ? `exit status ${r.exitCode}`
            : (r.signal ?? r.shortMessage ?? 'failed');
        error = r.stderr ? `${why}: ${String(r.stderr).trim()}` : why;
      }
      out.respond({ response: String(r.stdout), error });
    },
  });
};
