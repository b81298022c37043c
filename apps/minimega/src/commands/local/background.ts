// `background <command>...` and its status commands: programs running
// detached from the client, their output kept for later.
import { execa, type ResultPromise } from 'execa';
import { lookPath } from './lookpath.js';
import type { LocalModule } from './types.js';

interface BackgroundJob {
  id: number;
  command: string[];
  pid: number | undefined;
  started: Date;
  status: string;
  stdout: string;
  stderr: string;
  proc: ResultPromise | undefined;
}

const MAX_KEPT = 1 << 20; // bytes of output kept per stream

export const backgroundCommands: LocalModule = (d) => {
  const jobs = new Map<number, BackgroundJob>();
  let nextId = 0;

  const find = (raw: string | undefined): BackgroundJob => {
    const id = Number(raw);
    const job = Number.isInteger(id) ? jobs.get(id) : undefined;
    if (!job) throw new Error(`no background command with id ${JSON.stringify(raw)}`);
    return job;
  };

  d.cli.register({
    helpShort: 'execute a command in the background',
    helpLong: `Execute a command under the credentials of the running user in the background.
Its status, stdout and stderr are available through background-status,
background-output and background-error.`,
    patterns: ['background <command>...'],
    call(cmd) {
      const [file, ...args] = cmd.listArgs.command ?? [];
      const path = lookPath(file!);
      const job: BackgroundJob = {
        id: nextId++,
        command: cmd.listArgs.command ?? [],
        pid: undefined,
        started: new Date(),
        status: 'running',
        stdout: '',
        stderr: '',
        proc: undefined,
      };
      const proc = execa(path, args, {
        reject: false,
        stdin: 'ignore',
        buffer: false,
        detached: false,
      });
      job.proc = proc;
      job.pid = proc.pid;
      proc.stdout?.on('data', (c: Buffer) => {
        if (job.stdout.length < MAX_KEPT) job.stdout += c.toString();
      });
      proc.stderr?.on('data', (c: Buffer) => {
        if (job.stderr.length < MAX_KEPT) job.stderr += c.toString();
      });
      void proc.then((r) => {
        job.proc = undefined;
        job.status =
          r.exitCode !== undefined ? `exited ${r.exitCode}` : `killed (${r.signal ?? 'unknown'})`;
        d.log.info(`background command ${job.id} (${job.command.join(' ')}) ${job.status}`);
      });
      jobs.set(job.id, job);
    },
  });
  d.cli.register({
    helpShort: 'Get the status of background commands',
    helpLong:
      'Show the id, pid, status, start time and command of each background command, or of one.',
    patterns: ['background-status [id]'],
    call(cmd, out) {
      const list = cmd.stringArgs.id !== undefined ? [find(cmd.stringArgs.id)] : [...jobs.values()];
      out.respond({
        header: ['id', 'pid', 'status', 'start', 'command'],
        tabular: list.map((j) => [
          String(j.id),
          j.pid === undefined ? '' : String(j.pid),
          j.status,
          j.started.toISOString(),
          j.command.join(' '),
        ]),
      });
    },
  });
  d.cli.register({
    helpShort: 'Get the stdout of a background command',
    helpLong: 'Show what the background command with this id wrote to stdout so far.',
    patterns: ['background-output <id>'],
    call(cmd, out) {
      out.respond({ response: find(cmd.stringArgs.id).stdout });
    },
  });
  d.cli.register({
    helpShort: 'Get the stderr of a background command',
    helpLong: 'Show what the background command with this id wrote to stderr so far.',
    patterns: ['background-error <id>'],
    call(cmd, out) {
      out.respond({ response: find(cmd.stringArgs.id).stderr });
    },
  });
  const clear = () => {
    for (const [id, j] of jobs) if (!j.proc) jobs.delete(id);
  };
  d.cli.register({
    helpShort: 'Clear background-status information',
    helpLong: 'Forget every background command that has finished.',
    patterns: ['clear background-status'],
    call: clear,
  });
  d.onShutdown('background', () => {
    for (const j of jobs.values()) j.proc?.kill();
  });
};
