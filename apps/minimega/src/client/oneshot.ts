// `minimega -e CMD...`: run one command on the running daemon and print the
// replies. Exits 1 when any reply carried an error (daemon.md sharp edge 1).
import { MinimegaClient } from './connection.js';
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
  try {
    await client.run(command, (r) => {
      if (printReply(r, process.stdout, process.stderr)) failed = true;
    });
  } catch (e) {
    process.stderr.write(`minimega: ${(e as Error).message}\n`);
    failed = true;
  }
  await client.close();
  return failed ? 1 : 0;
}
