// `shell <command>...`: run a program (no shell) and answer with its stdout,
// read as a stream up to -max-output bytes: past it the program is killed and
// the answer is an error (the daemon never holds more than the limit).
import { execa } from 'execa';
import { limitsOf } from '../../daemon/limits.js';
import { capStream, OutputTooLargeError } from './capped-output.js';
import { lookPath } from './lookpath.js';
import type { LocalModule } from './types.js';

/** stderr is only shown in errors: a little is enough */
const STDERR_KEPT = 64 << 10;

export const shellCommand: LocalModule = (d) => {
  const { maxOutput } = limitsOf(d.flags);
  d.cli.register({
    helpShort: 'execute a command',
    helpLong: `Execute a command under the credentials of the running user.

Commands run until they complete or error, so take care not to execute a command
that does not return. Output beyond -max-output bytes stops the command with an error.`,
    patterns: ['shell <command>...'],
    async call(cmd, out, env) {
      const [file, ...args] = cmd.listArgs.command ?? [];
      const path = lookPath(file!);
      const proc = execa(path, args, {
        reject: false,
        stdin: 'ignore',
        buffer: false,
        ...(env.signal ? { cancelSignal: env.signal } : {}),
      });
      const stop = () => proc.kill('SIGKILL');
      const stdout = capStream(proc.stdout, maxOutput, stop);
      const stderr = capStream(proc.stderr, STDERR_KEPT, () => {});
      const r = await proc;
      if (stdout.over) throw new OutputTooLargeError(`shell ${file}`, maxOutput);
      let error = '';
      if (r.failed) {
        const why =
          r.exitCode !== undefined
            ? `exit status ${r.exitCode}`
            : (r.signal ?? r.shortMessage ?? 'failed');
        const err = stderr.over ? '' : stderr.text().trim();
        error = err ? `${why}: ${err}` : why;
      }
      out.respond({ response: stdout.text(), error });
    },
  });
};
