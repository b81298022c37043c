// esbuild plugins of the daemon's one-file bundles: the single executable's
// daemon asset (tsup.sea.config.ts) and the node daemon, dist/daemon/start.mjs
// (tsup.config.ts). Both bundle every @mm package and npm dependency, so an
// idle daemon holds one minified source string instead of ~300 module
// records and their sources (issue 13: idle RSS <= 50 MB).
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';

const appDir = fileURLToPath(new URL('.', import.meta.url));
const nodeRequire = createRequire(import.meta.url);

/**
 * execa (~40 modules) evaluated on its first call, not at start-up: an idle
 * daemon runs no child process. Every `import { execa } from 'execa'` of the
 * daemon gets this forwarder; the real module, bundled as a lazily
 * initialised ES module, is required on the first call: nothing is resolved
 * from disk then. (A lazy import() of the package would resolve execa's pnpm
 * symlinks after start-up, which nodejs/node#51142 breaks once fs.rm has
 * lstat()ed a VM's sockets.)
 */
export const lazyExeca: Plugin = {
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
 * compression; `module`, whose loading starts Node's ES module loader, only
 * for msgpackr's createRequire fallback, never taken in a CommonJS bundle).
 * Every `import ... from 'node:tls'` (etc.) of the daemon gets
 * a module whose exports, the built-in's own names read at build time, are
 * getters that require the real one.
 */
const LAZY_BUILTINS = ['inspector/promises', 'tls', 'dns/promises', 'readline', 'zlib', 'module'];
export const lazyBuiltins: Plugin = {
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
export const zodEnglishOnly: Plugin = {
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

/**
 * Writes every non-ASCII character of the bundle as a \uXXXX escape (esbuild
 * escapes them in strings, not in comments and regular expressions, where the
 * escape means the same). V8 holds an all-ASCII source as a one-byte string:
 * the daemon's ~2 MB source stays in memory for its lazily compiled
 * functions, and one non-ASCII character would double it.
 */
export const asciiOnly = {
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

/**
 * The node daemon's msgpackr-extract (msgpackr's optional native decoder,
 * which the executable cannot hold): required at run time from its installed
 * place, by a path relative to the bundle, so the bundle keeps what the
 * unbundled daemon had (without it msgpackr falls back to its pure-JS codec).
 * The daemon requires the addon file that msgpackr-extract's loader
 * (node-gyp-build-optional-packages) picks on the build machine, and that
 * loader only if the file will not load (another node ABI, libc or place):
 * the loader finds the file with node:module's createRequire (which starts
 * Node's ES module loader in the daemon) and detect-libc, ~0.4 MB of the idle
 * daemon's resident memory (issue 13) for the same addon.
 */
export function installedMsgpackrExtract(outDir: string): Plugin {
  const ns = 'installed-msgpackr-extract';
  const rel = (path: string) => `./${relative(outDir, path)}`.replace(/^\.\/\.\.\//, '../');
  return {
    name: ns,
    setup(build) {
      build.onResolve({ filter: /^msgpackr-extract$/ }, (args) => {
        let index: string;
        try {
          index = createRequire(args.importer).resolve('msgpackr-extract');
        } catch {
          return undefined; // not installed here: msgpackr's own fallback
        }
        let addon: string | undefined;
        try {
          addon = createRequire(index)('node-gyp-build-optional-packages').path(dirname(index));
        } catch {
          addon = undefined; // no prebuilt addon found now: the loader decides at run time
        }
        return { path: 'msgpackr-extract', namespace: ns, pluginData: { index, addon } };
      });
      build.onLoad({ filter: /.*/, namespace: ns }, (args) => {
        const { index, addon } = args.pluginData as { index: string; addon?: string };
        const loader = `require(${JSON.stringify(rel(index))})`;
        return {
          contents: addon
            ? `try { module.exports = require(${JSON.stringify(rel(addon))}); } catch { module.exports = ${loader}; }`
            : `module.exports = ${loader};`,
          loader: 'js',
        };
      });
      // the two requires above: from their installed place at run time
      build.onResolve({ filter: /.*/, namespace: ns }, (args) => ({
        path: args.path,
        external: true,
      }));
    },
  };
}

/**
 * Whitespace and syntax only (names stay, so stack traces still read): the
 * source stays in memory for lazily compiled functions.
 */
export function minifyDaemon(options: {
  minifyWhitespace?: boolean;
  minifySyntax?: boolean;
}): void {
  options.minifyWhitespace = true;
  options.minifySyntax = true;
}
