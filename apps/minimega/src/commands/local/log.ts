// `log level/stderr/file/filter/ring` and `clear log [...]`.
import type { DaemonLogger } from '../../log/logger.js';
import { isLogLevel, LOG_LEVELS } from '../../log/logger.js';
import type { LocalModule } from './types.js';

export const logCommands: LocalModule = (d) => {
  const log: DaemonLogger = d.log;
  const startup = { level: d.flags.level, stderr: d.flags.verbose, file: d.flags.logfile };

  d.cli.register({
    helpShort: 'set or print the log level',
    helpLong: `Set the log level to one of [${LOG_LEVELS.join(', ')}]. Log levels inherit lower levels, so setting the level to error will also log fatal, and setting the mode to debug will log everything.`,
    patterns: [`log level [${LOG_LEVELS.join(',')}]`],
    call(cmd, out) {
      const chosen = LOG_LEVELS.find((l) => cmd.boolArgs[l]);
      if (!chosen) {
        out.respond({ response: log.level });
        return;
      }
      log.level = chosen;
    },
  });
  d.cli.register({
    helpShort: 'enable or disable logging to stderr',
    helpLong:
      'Enable or disable logging to stderr. Without an argument, print whether it is enabled.',
    patterns: ['log stderr [true,false]'],
    call(cmd, out) {
      if (cmd.boolArgs.true) log.stderr = true;
      else if (cmd.boolArgs.false) log.stderr = false;
      else out.respond({ response: String(log.stderr) });
    },
  });
  d.cli.register({
    helpShort: 'enable logging to a file',
    helpLong:
      'Log to a file (appending; parent directories are created). Without an argument, print the current log file.',
    patterns: ['log file [file]'],
    call(cmd, out) {
      const f = cmd.stringArgs.file;
      if (f === undefined) out.respond({ response: log.file });
      else log.setFile(f);
    },
  });
  d.cli.register({
    helpShort: 'filter logging messages',
    helpLong: 'Drop log messages containing the given text. Without an argument, list the filters.',
    patterns: ['log filter [filter]'],
    call(cmd, out) {
      const f = cmd.stringArgs.filter;
      if (f === undefined) out.respond({ response: log.filters.join('\n') });
      else log.addFilter(f);
    },
  });
  d.cli.register({
    helpShort: 'enable, disable, or dump log ring',
    helpLong: 'Keep the last <size> log messages in memory. Without an argument, print the ring.',
    patterns: ['log ring [size]'],
    call(cmd, out) {
      const raw = cmd.stringArgs.size;
      if (raw === undefined) {
        if (log.ringSize === 0) throw new Error('log ring is not enabled');
        out.respond({ response: log.ringText() });
        return;
      }
      if (!/^\d+$/.test(raw))
        throw new Error(`invalid ring size ${JSON.stringify(raw)}: want a whole number`);
      log.setRing(Number(raw));
    },
  });

  const reset = {
    file: () => log.setFile(''),
    level: () => {
      log.level = isLogLevel(startup.level) ? startup.level : 'error';
    },
    stderr: () => {
      log.stderr = startup.stderr;
    },
    filter: () => log.clearFilters(),
    ring: () => log.setRing(0),
  };
  const parts = Object.keys(reset) as (keyof typeof reset)[];
  const resetAll = () => {
    reset.level();
    reset.stderr();
    reset.filter();
    reset.ring();
    // back to the -logfile of the command line
    if (log.file !== startup.file) log.setFile(startup.file);
  };
  d.cli.register({
    helpShort: 'reset state for logging',
    helpLong:
      'Reset logging to the settings minimega started with, or one part of it (file, level, stderr, filter, ring).',
    patterns: ['clear log', ...parts.map((p) => `clear log <${p},>`)],
    call(cmd) {
      const part = parts.find((p) => cmd.boolArgs[p]);
      if (part) reset[part]();
      else resetAll();
    },
  });
};
