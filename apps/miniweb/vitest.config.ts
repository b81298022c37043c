import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';
import { alias } from '../../vitest.shared.js';

const minimega = fileURLToPath(new URL('../minimega/src/', import.meta.url));

export default defineProject({
  resolve: {
    alias: {
      // the daemon client from sources, like the shared aliases of packages
      '@mm/minimega/client': `${minimega}client/index.ts`,
      '@mm/minimega': `${minimega}index.ts`,
      ...alias,
    },
  },
  test: { include: ['test/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 90_000 },
});
