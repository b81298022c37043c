import { defineConfig } from 'tsup';

// main.ts is the `minimega` command: its client path imports only small
// modules; the daemon is a separate chunk loaded with import().
export default defineConfig({
  entry: ['src/index.ts', 'src/main.ts'],
  format: ['esm'],
  dts: { entry: ['src/index.ts'] },
  splitting: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
});
