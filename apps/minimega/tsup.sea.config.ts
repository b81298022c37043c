import type { Plugin } from 'esbuild';
import { defineConfig } from 'tsup';
import {
  asciiOnly,
  lazyBuiltins,
  lazyExeca,
  minifyDaemon,
  zodEnglishOnly,
} from './daemon-bundle.js';

// The single-executable bundles (scripts/build-sea.sh), each ONE CommonJS
// file holding every @mm package and npm dependency it needs:
// - minimega.cjs, the executable's main script (src/sea/main.ts): runs the
//   client asset below with its build-time code cache;
// - client.cjs (src/main.ts), embedded as the SEA asset `client.cjs`: the
//   client (flags, -e, -version). Its import()s of the daemon, -attach, -cli
//   and -nuke resolve to a small module that evaluates the daemon asset on
//   first use, so `-e` loads ~30 KB, not the whole daemon;
// - make-cache.cjs, the build step that makes the client's code cache
//   (src/sea/make-cache.ts; not embedded);
// - daemon.cjs (src/sea/daemon-asset.ts), embedded as the SEA asset
//   `daemon.cjs`.
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

/** What main.ts imports lazily, loaded from the `daemon.cjs` asset in the executable. */
const HEAVY = ['runAttach', 'printCliDocument', 'runDaemonMain', 'runNukeCli'];
const heavyFromAsset: Plugin = {
  name: 'heavy-from-asset',
  setup(build) {
    build.onResolve(
      { filter: /^\.\/(daemon\/start|daemon\/cli-doc|client\/attach|recovery\/nuke-cli)\.js$/ },
      () => ({
        path: 'heavy',
        namespace: 'sea-heavy',
      }),
    );
    build.onLoad({ filter: /.*/, namespace: 'sea-heavy' }, () => ({
      contents: `
const { getRawAsset } = require('node:sea');
const { compileFunction } = require('node:vm');
const { dirname } = require('node:path');
let loaded;
function heavy() {
  if (!loaded) {
    // compiled as it is (no wrapper concatenated; decoded from the asset in
    // place, not from a copy): V8 keeps this one string as the source of the
    // daemon's lazily compiled functions,
    // with V8's code cache of it (scripts/sea-code-cache.cjs) when V8 takes
    // it: nothing to parse, and no parser memory left behind in malloc's heap
    let cachedData;
    try { cachedData = Buffer.from(getRawAsset('daemon.cache')); } catch {}
    const run = compileFunction(new TextDecoder().decode(getRawAsset('daemon.cjs')), ['exports', 'require', 'module', '__filename', '__dirname'], { filename: 'minimega-daemon.cjs', cachedData });
    const mod = { exports: {} };
    run(mod.exports, require, mod, process.execPath, dirname(process.execPath));
    loaded = mod.exports;
  }
  return loaded;
}
${HEAVY.map((n) => `exports.${n} = (...a) => heavy().${n}(...a);`).join('\n')}
`,
      loader: 'js',
    }));
  },
};

const common = {
  outDir: '../../dist/sea',
  format: ['cjs' as const],
  platform: 'node' as const,
  target: 'node20',
  splitting: false,
  sourcemap: false,
  clean: false,
  dts: false,
  noExternal: [/.*/],
  outExtension: () => ({ js: '.cjs' }),
  // `node:sea` exists only under its scheme (tsup strips `node:` by default)
  removeNodeProtocol: false,
  esbuildOptions(options: { conditions?: string[] }) {
    options.conditions = ['source'];
  },
};

export default defineConfig([
  { ...common, entry: { client: 'src/main.ts' }, esbuildPlugins: [heavyFromAsset] },
  { ...common, entry: { minimega: 'src/sea/main.ts', 'make-cache': 'src/sea/make-cache.ts' } },
  {
    ...common,
    entry: { daemon: 'src/sea/daemon-asset.ts' },
    esbuildPlugins: [noNativeMsgpackr, lazyExeca, zodEnglishOnly, lazyBuiltins],
    plugins: [asciiOnly],
    // the source stays in memory twice, in the executable's mapped pages and
    // as V8's string for lazily compiled functions
    esbuildOptions(options: {
      conditions?: string[];
      minifyWhitespace?: boolean;
      minifySyntax?: boolean;
    }) {
      common.esbuildOptions(options);
      minifyDaemon(options);
    },
  },
]);
