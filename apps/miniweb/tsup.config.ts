import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', main: 'src/main.ts' },
  format: ['esm'],
  // typed exports: the library entry gets its declarations (main is the command)
  // (declarations of other @mm packages come from their dist, not tsconfig's source paths)
  dts: { entry: { index: 'src/index.ts' }, compilerOptions: { paths: {} } },
  clean: false,
  sourcemap: true,
  target: 'node20',
});
