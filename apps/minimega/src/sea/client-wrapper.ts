// How the single executable runs its client bundle: the same source text at
// build time (scripts/sea-code-cache.mjs makes the code cache) and at run
// time (sea/main.ts), since V8 accepts a code cache only for the very source
// it was made from.
import { dirname } from 'node:path';
import type { Script } from 'node:vm';

export const CLIENT_FILENAME = 'minimega-client.cjs';

export function wrapClient(code: string): string {
  // the bundle starts with main.ts's `#!` line, which is no JavaScript inside a function
  return `(function (exports, require, module, __filename, __dirname) {${code.replace(/^#!/, '//')}\n})`;
}

/**
 * Runs the compiled client bundle (a Script of wrapClient's text) as a
 * CommonJS main module beside the executable, with this bundle's `require`
 * (inside the executable: built-in modules only).
 */
export function runClientBundle(script: Script): void {
  const mod = { exports: {} };
  (script.runInThisContext() as (...a: unknown[]) => void)(
    mod.exports,
    require,
    mod,
    process.execPath,
    dirname(process.execPath),
  );
}
