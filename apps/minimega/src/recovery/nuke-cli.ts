// `minimega -base <dir> -nuke [all]`: nuke without a daemon (after a crash,
// nothing answers on the socket). Refuses while a daemon answers there: that
// one is told with `-e nuke` so it can tear its own state down first.
import { join } from 'node:path';
import { alignTable } from '@mm/ovs';
import { socketAnswers } from '../daemon/socket-check.js';
import { NUKE_HEADER, nukeBase } from './nuke.js';

export async function runNukeCli(opts: {
  base: string;
  filepath: string;
  words: string[];
  cgroupRoot?: string;
}): Promise<number> {
  const extra = opts.words.filter((w) => w !== 'all');
  if (extra.length > 0 || opts.words.length > 1) {
    process.stderr.write(
      `minimega: -nuke takes only "all" (remove the files directory too), not ${JSON.stringify(opts.words)}\n`,
    );
    return 2;
  }
  const socket = join(opts.base, 'minimega');
  if (await socketAnswers(socket)) {
    process.stderr.write(
      `minimega: a daemon answers on ${socket}: nuke through it with "minimega -base ${opts.base} -e nuke${opts.words.length ? ' all' : ''}"\n`,
    );
    return 1;
  }
  const report = await nukeBase({
    base: opts.base,
    filepath: opts.filepath,
    all: opts.words[0] === 'all',
    ...(opts.cgroupRoot !== undefined ? { cgroupRoot: opts.cgroupRoot } : {}),
  });
  if (report.removed.length === 0) process.stdout.write(`nothing to remove under ${opts.base}\n`);
  else
    process.stdout.write(
      alignTable(
        NUKE_HEADER,
        report.removed.map((r) => [r.kind, r.name, r.detail]),
      ),
    );
  for (const e of report.errors) process.stderr.write(`minimega: ${e}\n`);
  return report.errors.length > 0 ? 1 : 0;
}
