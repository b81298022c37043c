// dist/client.cjs: src/main.ts (flags, -e, -version; the daemon and -attach
// by import()) bundled as ONE function expression, which the node entry
// (entry/main.ts) compiles with its code cache (dist/client.cache) and calls.
// tsup.config.ts wraps the bundle in CLIENT_PARAMS; its import()s of the
// daemon go through `importDist`, since code compiled by vm.Script has no
// import() of its own (Node 20 gives it one only behind an experimental flag).
import { dirname } from 'node:path';
import type { Script } from 'node:vm';

export const CLIENT_FILE = 'client.cjs';
export const CLIENT_CACHE = 'client.cache';

/** The bundle's function parameters, in the order runClient passes them. */
export const CLIENT_PARAMS = [
  'exports',
  'require',
  'module',
  '__filename',
  '__dirname',
  'importDist',
] as const;

/** Loads a module of dist/ (a path relative to dist/: './daemon/start.cjs', './client/attach.mjs'). */
export type ImportDist = (path: string) => Promise<unknown>;

/** Runs the compiled bundle (its file `file`) as a CommonJS module with this `require`. */
export function runClient(
  script: Script,
  file: string,
  require: NodeJS.Require,
  importDist: ImportDist,
): void {
  const mod = { exports: {} };
  (script.runInThisContext() as (...a: unknown[]) => void)(
    mod.exports,
    require,
    mod,
    file,
    dirname(file),
    importDist,
  );
}
