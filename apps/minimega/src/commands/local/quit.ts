// `quit [delay]`: stop the daemon through the normal shutdown path.
import type { LocalModule } from './types.js';

export const quitCommand: LocalModule = (d) => {
  d.cli.register({
    helpShort: 'quit minimega',
    helpLong:
      'Quit. An optional integer argument X allows deferring the quit call for X seconds. This is useful for telling a mesh of minimega nodes to quit.\n\nquit will not return a response to the cli, control socket, or meshage, it will simply exit. meshage connected nodes catch this and will remove the quit node from the mesh. External tools interfacing minimega must check for EOF on stdout or the control socket as an indication that minimega has quit.',
    patterns: ['quit [delay]'],
    // minimega never answers `quit`: clients see the connection end (EOF), so
    // Go's `-attach` says "server disconnected" and the Python bindings stop
    silent: true,
    call(cmd, out) {
      const raw = cmd.stringArgs.delay;
      if (raw === undefined) {
        void d.shutdown('quitting');
        return;
      }
      if (!/^\d+$/.test(raw))
        throw new Error(`invalid delay ${JSON.stringify(raw)}: want a whole number of seconds`);
      const delay = Number(raw);
      setTimeout(() => {
        d.log.info(`quitting after ${delay} seconds`);
        void d.shutdown(`quitting after ${delay} seconds`);
      }, delay * 1000).unref();
      out.respond({ response: `quitting after ${delay} seconds` });
    },
  });
};
