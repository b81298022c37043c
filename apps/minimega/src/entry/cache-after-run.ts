// The code cache of a client bundle made AFTER one real `minimega -e echo hi`
// (against a stand-in daemon on a temporary socket): V8's cache then holds
// every function that run compiled (flags, dial, request, reply parsing,
// printing), not only the few V8 compiles eagerly. Used by both build steps:
// the node entry's (entry/make-cache.ts) and the single executable's
// (sea/make-cache.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Script } from 'node:vm';

/** A reply as the daemon sends it to `echo hi` (one host, no error). */
const REPLY =
  '{"Resp":[{"Host":"h","Response":"hi","Header":null,"Tabular":null,"Error":"","Data":null}],' +
  '"Rendered":"h: hi","More":false,"Status":false}\n';

/**
 * Runs `run` (which runs `script`'s client reading process.argv) as
 * `-base DIR -e echo hi` against a stand-in daemon, then answers V8's code
 * cache of `script`.
 */
export async function cacheAfterOneRun(script: Script, run: () => void): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'mm-code-cache-'));
  const argv = process.argv;
  try {
    let ended!: () => void;
    const done = new Promise<void>((r) => {
      ended = r;
    });
    const server = createServer((s) => {
      s.once('data', () => s.write(REPLY));
      s.on('error', () => {});
      s.on('close', ended);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(join(dir, 'minimega'), resolve);
    });
    // the bundle reads its arguments from process.argv, like the command
    process.argv = [process.execPath, 'minimega', '-base', dir, '-e', 'echo', 'hi'];
    run();
    await done;
    await new Promise((r) => setImmediate(r));
    if (process.exitCode !== 0 && process.exitCode !== undefined)
      throw new Error(`the client's -e exited ${process.exitCode}`);
    await new Promise<void>((r) => server.close(() => r()));
    return script.createCachedData();
  } finally {
    process.argv = argv;
    rmSync(dir, { recursive: true, force: true });
  }
}
