import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';
import { defineConfig } from 'tsup';
import {
  asciiOnly,
  installedMsgpackrExtract,
  lazyBuiltins,
  lazyExeca,
  minifyDaemon,
  zodEnglishOnly,
} from './daemon-bundle.js';
import { CLIENT_PARAMS } from './src/entry/client-bundle.js';

// Four builds (dist is emptied by the build script first; after them
// dist/build/make-cache.cjs makes dist/ a CommonJS scope, copies main.cjs to
// main.js and writes the client's code cache: src/entry/make-cache.ts):
// - the library: ES modules (.mjs) with shared chunks (and
//   dist/daemon/cli-doc.mjs);
// - the daemon, dist/daemon/start.cjs: ONE minified CommonJS file holding
//   every @mm package and npm dependency it runs (as the single executable's
//   daemon asset, with the same plugins, daemon-bundle.ts), which the entry
//   compiles with its build-time code cache (dist/daemon/start.cache): an
//   idle daemon keeps one source string, no module graph of ~300 files and
//   no ES module loader (issue 13);
// - dist/client.cjs, the `minimega` command (src/main.ts: flags, -e,
//   -attach), as ONE function expression holding the client path, which
//   dist/main.cjs compiles with its code cache. Its import()s of the daemon,
//   -attach and -nuke stay references to dist/*.mjs, loaded only in those
//   modes (through the entry's `importDist`: src/entry/client-bundle.ts);
// - dist/main.cjs, that entry (src/entry/main.ts), and the build step.
/** What main.ts imports lazily: the module of dist/ it is, and its exports. */
const DIST_IMPORTS: Record<string, string[]> = {
  // CommonJS, compiled by the entry with its code cache (src/entry/cached-function.ts)
  'daemon/start.cjs': ['runDaemonMain'],
  'daemon/cli-doc': ['printCliDocument'],
  'client/attach': ['runAttach'],
  'recovery/nuke-cli': ['runNukeCli'],
};
const distImports: Plugin = {
  name: 'dist-imports',
  setup(build) {
    build.onResolve({ filter: /^\.\/(daemon\/|client\/attach|recovery\/nuke-cli)/ }, (args) => ({
      path: args.path.replace(/^\.\/|\.js$/g, ''),
      namespace: 'dist-import',
    }));
    build.onLoad({ filter: /.*/, namespace: 'dist-import' }, (args) => {
      const file = DIST_IMPORTS[`${args.path}.cjs`] ? `${args.path}.cjs` : `${args.path}.mjs`;
      const names = DIST_IMPORTS[file] ?? DIST_IMPORTS[args.path];
      if (!names) throw new Error(`main.ts imports ./${args.path}.js: add it to DIST_IMPORTS`);
      const load = `importDist(${JSON.stringify(`./${file}`)})`;
      return {
        contents: names
          .map((n) => `export const ${n} = async (...a) => (await ${load}).${n}(...a);`)
          .join('\n'),
        loader: 'js',
      };
    });
  },
};

export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      'daemon/cli-doc': 'src/daemon/cli-doc.ts',
      'client/attach': 'src/client/attach.ts',
      'client/index': 'src/client/index.ts',
      'recovery/nuke-cli': 'src/recovery/nuke-cli.ts',
    },
    format: ['esm'],
    // .mjs: dist/ is a CommonJS scope (dist/package.json), for the entry's sake
    outExtension: () => ({ js: '.mjs' }),
    dts: { entry: { index: 'src/index.ts', 'client/index': 'src/client/index.ts' } },
    splitting: true,
    clean: false,
    sourcemap: true,
    target: 'node20',
  },
  {
    entry: { 'daemon/start': 'src/daemon/start.ts' },
    format: ['cjs'],
    outExtension: () => ({ js: '.cjs' }),
    platform: 'node',
    splitting: false,
    clean: false,
    // the entry compiles it from a string: no source map is ever read
    sourcemap: false,
    target: 'node20',
    noExternal: [/.*/],
    // tsup would strip `node:` and mark built-ins external before the
    // lazy-builtins plugin sees them
    removeNodeProtocol: false,
    esbuildPlugins: [
      // relative to dist/: the entry's require() is the bundle's
      installedMsgpackrExtract(fileURLToPath(new URL('dist', import.meta.url))),
      lazyExeca,
      zodEnglishOnly,
      lazyBuiltins,
    ],
    plugins: [asciiOnly],
    esbuildOptions(options) {
      options.conditions = ['source'];
      minifyDaemon(options);
    },
  },
  {
    entry: { client: 'src/main.ts' },
    format: ['cjs'],
    outExtension: () => ({ js: '.cjs' }),
    splitting: false,
    clean: false,
    sourcemap: true,
    target: 'node20',
    esbuildPlugins: [distImports],
    // the bundle is the source of one function, compiled by vm.Script
    banner: { js: `(function (${CLIENT_PARAMS.join(', ')}) {` },
    footer: { js: '})' },
    // the grammar's light lexer/quoting entry goes into the one file (the
    // rest of @mm/cli-grammar stays external and is not loaded by -e); built
    // from its sources, so this build does not wait for the grammar's dist
    noExternal: ['@mm/cli-grammar/words'],
    esbuildOptions(options) {
      options.conditions = ['source'];
    },
  },
  {
    entry: { main: 'src/entry/main.ts', 'build/make-cache': 'src/entry/make-cache.ts' },
    format: ['cjs'],
    outExtension: () => ({ js: '.cjs' }),
    splitting: false,
    clean: false,
    sourcemap: false,
    target: 'node20',
  },
]);
