// The runner starting a real minimega daemon (from sources) on its own base.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { expect, it } from 'vitest';

const cliTs = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const appDir = fileURLToPath(new URL('../../../apps/minimega/', import.meta.url));
const mainTs = join(appDir, 'src/main.ts');

it('starts a daemon, runs history- and shell-like tests, stops it', async () => {
  const dir = await mkdtemp(join(tmpdir(), `mm-minitest-r${process.pid}-`));
  const base = join(dir, 'base');
  try {
    await writeFile(join(dir, 'prolog'), '.annotate false\nclear history\n');
    await writeFile(join(dir, 'epilog'), 'clear all\n');
    await writeFile(join(dir, 'hist'), '.record false echo hidden\necho shown\nhistory\n');
    await writeFile(
      join(dir, 'hist.want'),
      '## .record false echo hidden\nhidden\n## echo shown\nshown\n## history\necho shown\n',
    );
    await writeFile(join(dir, 'sh'), 'shell echo from a shell\nshell definitelynotarealcommand\n');
    await writeFile(
      join(dir, 'sh.want'),
      '## shell echo from a shell\nfrom a shell\n## shell definitelynotarealcommand\nE: not found\n',
    );
    const start = `node --conditions=source --import tsx ${mainTs} -base ${base} -nostdin`;
    const r = await execa(
      'node',
      [
        '--import',
        'tsx',
        cliTs,
        '--dir',
        dir,
        '--base',
        base,
        '--start-daemon',
        start,
        '--no-isolate',
        'hist',
        'sh',
      ],
      { reject: false, cwd: appDir },
    );
    expect(r.stdout).toMatch(/^PASS hist/m);
    expect(r.stdout).toMatch(/^PASS sh/m);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('2 passed, 0 failed');
    expect(r.exitCode).toBe(0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
