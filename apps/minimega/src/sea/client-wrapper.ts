// How the single executable runs its client bundle: the same source text at
// build time (scripts/sea-code-cache.mjs makes the code cache) and at run
// time (sea/main.ts), since V8 accepts a code cache only for the very source
// it was made from.
export const CLIENT_FILENAME = 'minimega-client.cjs';

export function wrapClient(code: string): string {
  // the bundle starts with main.ts's `#!` line, which is no JavaScript inside a function
  return `(function (exports, require, module, __filename, __dirname) {${code.replace(/^#!/, '//')}\n})`;
}
