// Build step of the single executable (scripts/build-sea.sh, plain Node):
//   node dist/sea/make-cache.cjs dist/sea/client.cjs dist/sea/client.cache
// Runs the client bundle once as `minimega -e echo hi` against a stand-in
// daemon on a temporary socket, then saves V8's code cache of the bundle:
// made after the run, it holds every function that run compiled (dial,
// request, reply parsing, printing), which sea/main.ts hands back to V8.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { CLIENT_FILENAME, runClientBundle, wrapClient } from './client-wrapper.js';

/** A reply as the daemon sends it to `echo hi` (one host, no error). */
const REPLY =
  '{"Resp":[{"Host":"h","Response":"hi","Header":null,"Tabular":null,"Error":"","Data":null}],' +
  '"Rendered":"h: hi","More":false,"Status":false}\n';

async function main(): Promise<void> {
  const [src, out] = process.argv.slice(2);
  if (!src || !out) throw new Error('usage: make-cache.cjs CLIENT.cjs OUT.cache');
  const script = new Script(wrapClient(readFileSync(src, 'utf8')), { filename: CLIENT_FILENAME });
  const dir = mkdtempSync(join(tmpdir(), 'mm-sea-cache-'));
  try {
    const socketPath = join(dir, 'minimega');
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
      server.listen(socketPath, resolve);
    });
    // the bundle reads its arguments from process.argv, like the executable
    process.argv = [process.execPath, process.execPath, '-base', dir, '-e', 'echo', 'hi'];
    runClientBundle(script);
    await done;
    await new Promise((r) => setImmediate(r));
    if (process.exitCode !== 0 && process.exitCode !== undefined)
      throw new Error(`the client's -e exited ${process.exitCode}`);
    writeFileSync(out, script.createCachedData());
    await new Promise<void>((r) => server.close(() => r()));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`make-cache: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
