import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';
import { defineConfig } from 'tsup';

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

/**
 * execa (~40 modules) evaluated on its first call, not at start-up: an idle
 * daemon runs no child process. Every `import { execa } from 'execa'` of the
 * daemon gets this forwarder; the real module, bundled as a lazily
 * initialised ES module, is required on the first call. (Only in the
 * executable: there `require` resolves nothing at run time. A lazy import()
 * in the node build would resolve execa's pnpm symlinks after start-up, which
 * nodejs/node#51142 breaks once fs.rm has lstat()ed a VM's sockets.)
 */
const appDir = fileURLToPath(new URL('.', import.meta.url));
const lazyExeca: Plugin = {
  name: 'lazy-execa',
  setup(build) {
    build.onResolve({ filter: /^execa$/ }, (args) =>
      args.namespace === 'sea-lazy' ? undefined : { path: 'execa', namespace: 'sea-lazy' },
    );
    build.onLoad({ filter: /.*/, namespace: 'sea-lazy' }, () => ({
      contents: `let real;
export function execa(...args) {
  real ??= require('execa');
  return real.execa(...args);
}`,
      resolveDir: appDir,
      loader: 'js',
    }));
  },
};

/**
 * Node built-in modules an idle daemon never uses, loaded on first use of one
 * of their exports: each costs resident memory once loaded (its JS source
 * pages in the node binary, its compiled code and objects; -0.5 MB of idle
 * RSS for these, what else they load the daemon loads anyway), and each
 * serves one command or one feature (`debug` profiling, keyed stream TLS,
 * `ns` host lookups, the console and pipelines' line readers, VNC/PNG
 * compression). Every `import ... from 'node:tls'` (etc.) of the daemon gets a module whose exports, the built-in's own
 * names read at build time, are getters that require the real one. (Only in
 * the executable: Node's own `import()` of a built-in would do in the node
 * build too, but these imports sit in other lanes' packages.)
 */
const LAZY_BUILTINS = ['inspector/promises', 'tls', 'dns/promises', 'readline', 'zlib'];
const nodeRequire = createRequire(import.meta.url);
const lazyBuiltins: Plugin = {
  name: 'lazy-builtins',
  setup(build) {
    const filter = new RegExp(`^(node:)?(${LAZY_BUILTINS.join('|')})$`);
    build.onResolve({ filter }, (args) =>
      // the getters' own require is the real built-in
      args.namespace === 'sea-lazy-builtin'
        ? { path: args.path, external: true }
        : { path: args.path.replace(/^node:/, ''), namespace: 'sea-lazy-builtin' },
    );
    build.onLoad({ filter: /.*/, namespace: 'sea-lazy-builtin' }, (args) => {
      const names = Object.keys(nodeRequire(`node:${args.path}`) as object);
      return {
        contents: `let real;
const load = () => (real ??= require(${JSON.stringify(`node:${args.path}`)}));
for (const name of ${JSON.stringify(names)}) {
  Object.defineProperty(exports, name, { enumerable: true, get: () => load()[name] });
}`,
        loader: 'js',
      };
    });
  },
};

/**
 * zod's locales: only English (its default) is bundled. zod re-exports every
 * locale (~370 KB of source, each evaluated at start-up) as `z.locales`,
 * which minimega never reads.
 */
const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]/.test(args.importer)
        ? { path: join(args.resolveDir, args.path), namespace: 'sea-zod-locales' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'sea-zod-locales' }, (args) => ({
      contents: "export { default as en } from './en.js';",
      resolveDir: dirname(args.path),
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

/**
 * Writes every non-ASCII character of the bundle as a \uXXXX escape (esbuild
 * escapes them in strings, not in comments and regular expressions, where the
 * escape means the same). V8 holds an all-ASCII source as a one-byte string:
 * the daemon's ~2 MB source stays in memory for its lazily compiled
 * functions, and one non-ASCII character would double it.
 */
const asciiOnly = {
  name: 'ascii-only',
  renderChunk(code: string) {
    return {
      code: code.replace(
        /[^\x00-\x7f]/g,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
      ),
    };
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
    // whitespace and syntax only (names stay, so stack traces still read):
    // the source stays in memory twice, in the executable's mapped pages and
    // as V8's string for lazily compiled functions
    esbuildOptions(options: {
      conditions?: string[];
      minifyWhitespace?: boolean;
      minifySyntax?: boolean;
    }) {
      common.esbuildOptions(options);
      options.minifyWhitespace = true;
      options.minifySyntax = true;
    },
  },
]);
