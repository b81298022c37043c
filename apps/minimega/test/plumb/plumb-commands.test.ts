// `plumb`, `pipe`, `clear plumb`, `clear pipe` on an in-process daemon:
// names per namespace, the listing columns, modes, vias, programs in
// pipelines, and `clear all`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { namespaceModule } from '../../src/commands/namespace/index.js';
import { plumbModule, qualifiedStage } from '../../src/commands/plumb/index.js';
import { createDaemonCore } from '../../src/daemon/core.js';
import { defaultDaemonFlags } from '../../src/daemon/flags.js';
import { createLogger } from '../../src/log/logger.js';
import { coreRunner } from '../core-runner.js';

async function plumbDaemon() {
  const base = await mkdtemp(join(tmpdir(), `mm-plumb-t${process.pid}-`));
  const core = await createDaemonCore({
    flags: defaultDaemonFlags({ base }),
    log: createLogger({ level: 'fatal', stderr: false }),
    hostname: 'testhost',
    modules: [namespaceModule, plumbModule],
  });
  return {
    ...coreRunner(core),
    async [Symbol.asyncDispose]() {
      await core.shutdown('test done');
      await rm(base, { recursive: true, force: true });
    },
  };
}

describe('plumb / pipe commands', () => {
  it('pipes are named per namespace; listing shows mode, readers, writers, count, via, previous', async () => {
    await using d = await plumbDaemon();
    const t = await d.transcript([
      'plumb p0 p1',
      'plumb p0 p2',
      'namespace other plumb p0 p9',
      'plumb',
      'pipe p0 mode round-robin',
      'pipe p0 "one"',
      'pipe p0 "two"',
      'pipe p2 via tr a-z A-Z',
      'pipe',
      'namespace other pipe',
    ]);
    expect(t).toBe(
      [
        '## plumb p0 p1',
        '## plumb p0 p2',
        '## namespace other plumb p0 p9',
        '## plumb',
        'pipeline',
        'minimega//p0 minimega//p1',
        'minimega//p0 minimega//p2',
        '## pipe p0 mode round-robin',
        '## pipe p0 "one"',
        '## pipe p0 "two"',
        '## pipe p2 via tr a-z A-Z',
        '## pipe',
        'name         | mode        | readers | writers | count | via        | previous',
        'minimega//p0 | round-robin | 2       | 0       | 2     |            | two',
        'minimega//p1 | all         | 0       | 1       | 1     |            | one',
        'minimega//p2 | all         | 0       | 1       | 1     | tr a-z A-Z | two',
        '## namespace other pipe',
        'name      | mode | readers | writers | count | via | previous',
        // the renderer pads an empty last cell as minimega's tabwriter does
        'other//p0 | all  | 1       | 0       | 0     |     | ',
        'other//p9 | all  | 0       | 1       | 0     |     |',
        '',
      ].join('\n'),
    );
  });

  it('a program stage transforms messages; clear plumb stops it; clear pipe resets and deletes', async () => {
    await using d = await plumbDaemon();
    await d.run('plumb in "sed -u s/cc/mm/" out');
    await d.run('pipe in "hello from cc!"');
    for (let i = 0; i < 200; i++) {
      if ((await d.run('.columns previous pipe')).text.includes('hello from mm!')) break;
      await sleep(25);
    }
    expect((await d.run('.columns name,previous pipe')).text).toBe(
      [
        'name          | previous',
        'minimega//in  | hello from cc!',
        'minimega//out | hello from mm!',
      ].join('\n'),
    );
    // the pipeline still writes to out
    expect((await d.run('clear pipe out')).errors).toEqual([
      'cannot delete named pipe with open writers: minimega//out',
    ]);
    expect((await d.run('clear plumb in "sed -u s/cc/mm/" out')).errors).toEqual([]);
    expect((await d.run('plumb')).text).toBe('');
    await d.run('pipe in mode random');
    await d.run('clear pipe in mode');
    expect((await d.run('.columns name,mode,writers pipe')).text).toBe(
      [
        'name          | mode | writers',
        'minimega//in  | all  | 0',
        'minimega//out | all  | 0',
      ].join('\n'),
    );
    await d.run('clear pipe');
    expect((await d.run('pipe')).text).toBe('');
    expect((await d.run('clear pipe nope')).errors).toEqual(['no such pipe: minimega//nope']);
    expect((await d.run('clear plumb a b')).errors).toEqual([
      'no such pipeline: minimega//a minimega//b',
    ]);
  });

  it('clear all removes every pipeline and pipe', async () => {
    await using d = await plumbDaemon();
    await d.run('plumb a b');
    await d.run('namespace blue plumb c d');
    await d.run('clear all');
    expect((await d.run('plumb')).text).toBe('');
    expect((await d.run('namespace blue pipe')).text).toBe('');
  });

  it('a stage is a program when its first word is in $PATH, else a pipe of the namespace', () => {
    expect(qualifiedStage('ns', 'sed -u s/a/b/')).toBe('sed -u s/a/b/');
    expect(qualifiedStage('ns', 'foo')).toBe('ns//foo');
    expect(qualifiedStage('ns', 'other//foo')).toBe('other//foo');
  });
});
