// `minimega -e CMD...`: run one command on the running daemon and print the
// replies. Exits 1 when any reply carried an error (daemon.md sharp edge 1).
import { ClientError, MinimegaClient } from './connection.js';
import { printReply } from './print.js';
import { inNamespace, wordsToCommand } from './quote.js';

export async function runOneShot(opts: {
  socketPath: string;
  namespace: string;
  words: string[];
}): Promise<number> {
  if (opts.words.length === 0) return 0;
  const command = inNamespace(opts.namespace, wordsToCommand(opts.words));
  let client: MinimegaClient;
  try {
    client = await MinimegaClient.dial(opts.socketPath);
  } catch (e) {
    process.stderr.write(`minimega: ${(e as Error).message}\n`);
    return 1;
  }
  let failed = false;
  let replied = false;
  try {
    await client.run(command, (r) => {
      replied = true;
      if (printReply(r, process.stdout, process.stderr)) failed = true;
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
      process.stderr.write(`minimega: ${(e as Error).message}\n`);
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
