// `minimega -e CMD...`: run one command on the running daemon and print the
// replies. Exits 1 when any reply carried an error (daemon.md sharp edge 1).
// Start-up is most of its time, so it loads as little as it can: the socket
// through the pipe binding (pipe-link.ts; net.Socket only when this Node
// lacks it), output written to fds 1 and 2 (fd-out.ts), nothing of the
// daemon.
import { ClientError } from './errors.js';
import { fdSink } from './fd-out.js';
import { dialPipe } from './pipe-link.js';
import { printReply, type TextSink } from './print.js';
import { inNamespace, wordsToCommand } from './quote.js';
import type { ClientSession } from './session.js';

export interface OneShotOptions {
  socketPath: string;
  namespace: string;
  words: string[];
  /** where replies and errors go (default: fds 1 and 2; a closed stdout ends the process quietly) */
  out?: TextSink;
  err?: TextSink;
  /** how to reach the daemon (default: the pipe binding, else net.Socket) */
  dial?: (path: string) => Promise<ClientSession>;
}

/** The pipe binding when this Node has it, else net.Socket (MinimegaClient). */
export async function dialDaemon(path: string): Promise<ClientSession> {
  return (
    (await dialPipe(path)) ?? (await (await import('./connection.js')).MinimegaClient.dial(path))
  );
}

export async function runOneShot(opts: OneShotOptions): Promise<number> {
  if (opts.words.length === 0) return 0;
  // `minimega -e ... | head`: the reader left, stop quietly as minimega does
  const out = opts.out ?? fdSink(1, () => process.exit(process.exitCode ?? 0));
  const err = opts.err ?? fdSink(2, () => {});
  const command = inNamespace(opts.namespace, wordsToCommand(opts.words));
  let client: ClientSession;
  try {
    client = await (opts.dial ?? dialDaemon)(opts.socketPath);
  } catch (e) {
    err.write(`minimega: ${(e as Error).message}\n`);
    return 1;
  }
  let failed = false;
  let replied = false;
  try {
    await client.run(command, (r) => {
      replied = true;
      if (printReply(r, out, err)) failed = true;
    });
  } catch (e) {
    // `quit` and `nuke` stop the daemon without a reply: the connection's end
    // is their success (minimega's `-e quit` is silent too)
    const expected =
      !replied &&
      e instanceof ClientError &&
      e.code === 'ERR_DISCONNECTED' &&
      stopsDaemon(opts.words);
    if (!expected) {
      err.write(`minimega: ${(e as Error).message}\n`);
      failed = true;
    }
  }
  // the reply is printed: leave without waiting for the daemon's end of the socket
  client.destroy();
  return failed ? 1 : 0;
}

/** `quit` (without a delay) and `nuke ...` end the daemon instead of answering. */
function stopsDaemon(words: string[]): boolean {
  const w = words.length === 1 ? words[0]!.trim().split(/\s+/) : words;
  return (w[0] === 'quit' && w.length === 1) || w[0] === 'nuke';
}
