#!/usr/bin/env node
// `minimega` as Node runs it: dist/main.cjs (the package's bin) and
// dist/main.js (the README's path), the same file. Both are CommonJS
// (dist/package.json says so): Node starts them without its ES module loader,
// ~14 M instructions less at every `minimega -e`. This file only compiles
// the client bundle with its build-time code cache and runs it; the client
// decides whether this process is a client (-e, -version) or the daemon.
// MM_DEBUG_CODE_CACHE=1 says on stderr whether V8 took the cache.
import { writeSync } from 'node:fs';
import { requireCached } from './cached-function.js';
import { compileCached } from './cached-script.js';
import { CLIENT_CACHE, CLIENT_FILE, runClient } from './client-bundle.js';

const file = `${__dirname}/${CLIENT_FILE}`;
const { script, cache } = compileCached(file, `${__dirname}/${CLIENT_CACHE}`);
if (process.env.MM_DEBUG_CODE_CACHE) writeSync(2, `minimega: code cache ${cache}\n`);
// a relative path resolves against this file, which sits in dist/; the
// daemon's one CommonJS file is compiled with its code cache (.cache beside it)
runClient(script, file, require, async (path) => {
  if (!path.endsWith('.cjs')) return import(path);
  const daemon = `${__dirname}/${path}`;
  const { exports, cache } = requireCached(daemon, daemon.replace(/\.cjs$/, '.cache'), require);
  if (process.env.MM_DEBUG_CODE_CACHE) writeSync(2, `minimega: code cache of ${path}: ${cache}\n`);
  return exports;
});
