// `version`
import { BUILD_DATE, VERSION } from '../../version.js';
import type { LocalModule } from './types.js';

export const versionCommand: LocalModule = (d) => {
  d.cli.register({
    helpShort: 'display the minimega version',
    helpLong: 'Display the version.',
    patterns: ['version'],
    call(_cmd, out) {
      // `minimega <revision> <date>`, as the original's version command
      out.respond({ response: `minimega ${VERSION} ${BUILD_DATE}` });
    },
  });
};
