import { defineConfig } from 'vitest/config';
import { alias } from './vitest.shared.js';

// One vitest run over every workspace member; each member may add its own
// vitest.config.ts (they are picked up as projects).
export default defineConfig({
  resolve: { alias },
  test: {
    projects: ['packages/*', 'apps/*', 'tools/*'],
  },
});
