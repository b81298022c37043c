// `version`
import { versionLine } from '../../version.js';
import type { LocalModule } from './types.js';

export const versionCommand: LocalModule = (d) => {
  d.cli.register({
    helpShort: 'display the minimega version',
    helpLong: 'Display the version.',
    patterns: ['version'],
    call(_cmd, out) {
      out.respond({ response: versionLine() });
    },
  });
};
