// The daemon's own prompt on stdin (daemon.md §2 step 9). Unlike the original
// (sharp edge 9) compile errors are printed like any other error.
import { createInterface } from 'node:readline';
import { page } from '../client/pager.js';
import type { DaemonCore } from './core.js';

export function startConsole(core: DaemonCore): { close(): void } {
  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: Boolean(process.stdin.isTTY),
    historySize: 10_000,
    completer: (line: string, cb: (err: Error | null, r: [string[], string]) => void) => {
      core.complete(line).then(
        (c) => cb(null, [c, line]),
        () => cb(null, [[], line]),
      );
    },
  });
  const prompt = () => {
    rl.setPrompt(`minimega[${core.namespaces.active}]$ `);
    rl.prompt();
  };
  const client = { kind: 'console' as const };
  let closedByUs = false;
  rl.on('SIGINT', () => {
    rl.write(null, { ctrl: true, name: 'u' });
    process.stdout.write('\n');
    prompt();
  });
  rl.on('close', () => {
    if (!closedByUs) void core.shutdown('quitting');
  });
  void (async () => {
    prompt();
    for await (const raw of rl) {
      const line = raw.trim();
      if (line === '') {
        prompt();
        continue;
      }
      rl.pause();
      for await (const batch of core.execute(
        line,
        { client, status: (m) => process.stdout.write(`${m}\n`) },
        { aliases: true },
      )) {
        const text = core.cli.render(batch);
        if (text) await page(text);
        const errs = core.cli.renderErrors(batch);
        if (errs) process.stderr.write(`${errs}\n`);
      }
      rl.resume();
      if (core.stopping) break;
      prompt();
    }
  })();
  core.stopped.then(() => {
    closedByUs = true;
    rl.close();
  });
  return {
    close() {
      closedByUs = true;
      rl.close();
    },
  };
}
