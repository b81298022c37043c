// `clear all`: every module's reset, in registration order.
import type { LocalModule } from './types.js';

export const clearAllCommand: LocalModule = (d) => {
  d.cli.register({
    helpShort: 'reset all resettable state',
    helpLong:
      'Runs every clear command: resets all state that can be reset (VM config, VMs, networking, logging, history, ...).',
    patterns: ['clear all'],
    async call(cmd, _out, env) {
      cmd.record = false; // history was just cleared too
      const errors = await d.runClearAll({
        source: cmd.source,
        ...(env.signal ? { signal: env.signal } : {}),
      });
      // as minimega: the history is cleared last
      d.cli.history.clear();
      if (errors.length > 0) throw new Error(errors.join('\n'));
    },
  });
};
