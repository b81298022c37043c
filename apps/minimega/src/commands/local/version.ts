// `version`
import { versionResponse } from '../../version.js';
import type { LocalModule } from './types.js';

export const versionCommand: LocalModule = (d) => {
  d.cli.register({
    helpShort: 'display the minimega version',
    helpLong: 'Display the version.',
    patterns: ['version'],
    call(_cmd, out) {
      // `minimega <version> <date>` as the original, then which implementation answers
      out.respond({ response: versionResponse() });
    },
  });
};
