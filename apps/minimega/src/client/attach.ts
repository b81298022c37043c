// `minimega -attach`: an interactive console on the running daemon, with line
// editing and history (node:readline), tab completion through Suggest
// requests, paging of long output, `disconnect`, and a double `quit`.
import { createInterface } from 'node:readline';
import { replyErrors } from '../protocol/wire.js';
import { MinimegaClient } from './connection.js';
import { page } from './pager.js';
import { inNamespace } from './quote.js';

const CAUTION =
  "CAUTION: calling 'quit' will cause the minimega daemon to exit\n" +
  "use 'disconnect' or ^d to exit just the minimega command line\n";

export async function runAttach(opts: { socketPath: string; namespace: string }): Promise<number> {
  let client: MinimegaClient;
  try {
    client = await MinimegaClient.dial(opts.socketPath);
  } catch (e) {
    process.stderr.write(`minimega: ${(e as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`${CAUTION}\n`);
  const prompt = opts.namespace
    ? `minimega:${opts.socketPath}[${opts.namespace}]$ `
    : `minimega:${opts.socketPath}$ `;

  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: Boolean(process.stdin.isTTY),
    historySize: 10_000,
    completer: (line: string, cb: (err: Error | null, result: [string[], string]) => void) => {
      const sent = inNamespace(opts.namespace, line);
      client.suggest(sent).then(
        (cands) => {
          // candidates are whole lines of what was sent: strip the namespace prefix back off
          const strip = sent.length - line.length;
          const lines = cands.map((c) => c.slice(strip));
          cb(null, [lines, line]);
        },
        () => cb(null, [[], line]),
      );
    },
  });
  rl.on('SIGINT', () => {
    // Ctrl-C aborts the current line
    rl.write(null, { ctrl: true, name: 'u' });
    process.stdout.write('\n');
    rl.prompt();
  });

  let quitOnce = false;
  let status = 0;
  let running = false;
  let ended = false;
  let sentQuit = false;
  // The daemon quit (or died) while we sat at the prompt: end the session now
  // instead of prompting for a line that can only fail. After our own `quit`
  // that is the expected outcome; otherwise say what happened.
  const endSession = (e: Error): void => {
    if (ended) return;
    ended = true;
    if (!sentQuit) {
      process.stdout.write('\n');
      process.stderr.write(`minimega: ${e.message}\n`);
      status = 1;
    }
    rl.close();
  };
  client.onDisconnect((e) => {
    if (!running) endSession(e);
  });
  rl.setPrompt(prompt);
  rl.prompt();
  for await (const raw of rl) {
    const line = raw.trim();
    if (line === '') {
      rl.prompt();
      continue;
    }
    if (line === 'disconnect') break;
    if (line === 'quit') {
      if (!quitOnce) {
        quitOnce = true;
        process.stdout.write(
          `${CAUTION}If you really want to stop the minimega daemon, enter 'quit' again\n`,
        );
        rl.prompt();
        continue;
      }
    }
    sentQuit = quitOnce && line === 'quit';
    quitOnce = false;
    try {
      rl.pause();
      running = true;
      await client.run(inNamespace(opts.namespace, line), async (r) => {
        if (r.Rendered) await page(r.Rendered);
        const e = replyErrors(r);
        if (e) process.stderr.write(`${e}\n`);
      });
      running = false;
      rl.resume();
    } catch (e) {
      // our own `quit` gets no reply: the daemon going away is its answer
      if (!(sentQuit && (e as { code?: string }).code === 'ERR_DISCONNECTED')) {
        process.stderr.write(`minimega: ${(e as Error).message}\n`);
        status = 1;
      }
      break;
    }
    const gone = client.disconnected;
    if (gone) {
      endSession(gone);
      break;
    }
    rl.prompt();
  }
  ended = true; // our own close below is not the daemon going away
  rl.close();
  await client.close();
  return status;
}
