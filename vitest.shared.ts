// Shared vitest settings: tests run against sources, so every @mm package is
// aliased to its src/index.ts (no build needed before `vitest run`).
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
const pkgs = ['cli-grammar', 'meshage', 'iomeshage', 'ovs', 'qemu', 'scheduler', 'namespace'];

export const alias: Record<string, string> = {
  '#test-support': `${root}test-support/index.ts`,
  // subpath entries before their package (an alias also matches `@mm/x/...`)
  '@mm/cli-grammar/words': `${root}packages/cli-grammar/src/words.ts`,
  '@mm/meshage/testing': `${root}packages/meshage/src/testing.ts`,
  // apps and tools that others use through their public exports
  '@mm/minimega/client': `${root}apps/minimega/src/client/index.ts`,
  '@mm/minimega': `${root}apps/minimega/src/index.ts`,
  '@mm/cluster': `${root}tools/cluster/src/index.ts`,
  ...Object.fromEntries(pkgs.map((p) => [`@mm/${p}`, `${root}packages/${p}/src/index.ts`])),
};
