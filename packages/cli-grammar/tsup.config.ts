import { defineConfig } from 'tsup';

export default defineConfig({
  // words: the light lexer/quoting entry (package.json exports "./words")
  entry: ['src/index.ts', 'src/words.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
});
