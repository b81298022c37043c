import type { Plugin } from 'esbuild';
import { defineConfig } from 'tsup';

// Two builds (dist is emptied by the build script first):
// - the library and the daemon: ESM with shared chunks, the daemon entry at
//   dist/daemon/start.js (and dist/daemon/cli-doc.js);
// - dist/main.cjs (and main.js), the `minimega` command, as ONE file holding the client
//   path (flags, -e, -attach): loading one file instead of a chain of chunks
//   keeps `minimega -e` close to bare Node start-up. Its import() of the
//   daemon stays a reference to dist/daemon/*.js, loaded only in daemon mode
//   (and -attach, with readline and the pager, is dist/client/attach.js;
//   -nuke is dist/recovery/nuke-cli.js).
const daemonExternal: Plugin = {
  name: 'daemon-external',
  setup(build) {
    build.onResolve({ filter: /^\.\/(daemon\/|client\/attach|recovery\/nuke-cli)/ }, (args) => ({
      path: args.path,
      external: true,
    }));
  },
};

export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      'daemon/start': 'src/daemon/start.ts',
      'daemon/cli-doc': 'src/daemon/cli-doc.ts',
      'client/attach': 'src/client/attach.ts',
      'client/index': 'src/client/index.ts',
      'recovery/nuke-cli': 'src/recovery/nuke-cli.ts',
    },
    format: ['esm'],
    dts: { entry: { index: 'src/index.ts', 'client/index': 'src/client/index.ts' } },
    splitting: true,
    clean: false,
    sourcemap: true,
    target: 'node20',
  },
  {
    entry: { main: 'src/main.ts' },
    // main.cjs is the `minimega` command: Node starts a CommonJS entry
    // without its ES module loader, a few ms less for every `minimega -e`;
    // main.js (the same code as ESM) stays for whoever runs it by path
    format: ['esm', 'cjs'],
    splitting: false,
    clean: false,
    sourcemap: true,
    target: 'node20',
    esbuildPlugins: [daemonExternal],
    // the grammar's light lexer/quoting entry goes into the one file (the
    // rest of @mm/cli-grammar stays external and is not loaded by -e); built
    // from its sources, so this build does not wait for the grammar's dist
    noExternal: ['@mm/cli-grammar/words'],
    esbuildOptions(options) {
      options.conditions = ['source'];
    },
  },
]);
