import type { Plugin } from 'esbuild';
import { defineConfig } from 'tsup';

// The single-executable bundle (scripts/build-sea.sh): the client and the
// whole daemon, every @mm package and every npm dependency in ONE CommonJS
// file, which Node's single-executable support embeds in a copy of `node`.
// Inside the executable require() loads built-in modules only, so the native
// msgpackr-extract (optional) is replaced by a module that throws: msgpackr
// catches that and uses its pure-JS codec, as on a host without the addon.
const noNativeMsgpackr: Plugin = {
  name: 'no-native-msgpackr',
  setup(build) {
    build.onResolve({ filter: /^msgpackr-extract$/ }, () => ({
      path: 'msgpackr-extract',
      namespace: 'sea-stub',
    }));
    build.onLoad({ filter: /.*/, namespace: 'sea-stub' }, () => ({
      contents: "throw new Error('msgpackr-extract is not part of the single executable');",
      loader: 'js',
    }));
  },
};

export default defineConfig({
  entry: { minimega: 'src/main.ts' },
  outDir: '../../dist/sea',
  format: ['cjs'],
  platform: 'node',
  target: 'node20',
  splitting: false,
  sourcemap: false,
  clean: false,
  dts: false,
  noExternal: [/.*/],
  outExtension: () => ({ js: '.cjs' }),
  esbuildPlugins: [noNativeMsgpackr],
  esbuildOptions(options) {
    options.conditions = ['source'];
  },
});
