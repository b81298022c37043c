// Bundles the pages' scripts (noVNC included: no CDN, the machine has no
// internet) into dist/public with esbuild, and copies the stylesheet.
import { copyFile, mkdir } from 'node:fs/promises';
import { build } from 'esbuild';

const out = new URL('./dist/public/', import.meta.url).pathname;
await mkdir(out, { recursive: true });
await build({
  entryPoints: { app: 'web/app.ts', console: 'web/console.ts' },
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  outdir: out,
  logLevel: 'warning',
  legalComments: 'linked',
});
await copyFile('web/style.css', `${out}style.css`);
