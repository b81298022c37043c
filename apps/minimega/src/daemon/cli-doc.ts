// `minimega -cli`: validate the grammar and print the handler document.
import { createLogger } from '../log/logger.js';
import { createDaemonCore } from './core.js';
import { defaultDaemonFlags } from './flags.js';

export async function printCliDocument(): Promise<number> {
  const log = createLogger({ level: 'fatal', stderr: false });
  const core = await createDaemonCore({ flags: defaultDaemonFlags(), log });
  const problems = core.cli.validate();
  if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`minimega: ${p}\n`);
    return 1;
  }
  process.stdout.write(`${JSON.stringify(core.cli.doc(), null, 2)}\n`);
  return 0;
}
