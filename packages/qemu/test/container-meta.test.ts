// What -recover reads to take a container over (container.json): a record
// that is missing, malformed or names a process that is not the shim any
// more is refused with the reason, never trusted.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  defaultVmConfig,
  openContainerCgroup,
  processStart,
  readContainerMeta,
  reattachContainer,
  shimAlive,
} from '../src/index.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mm-ct-meta-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const meta = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    shimPid: process.pid,
    shimStart: processStart(process.pid),
    scriptPid: 0,
    cgroup: { version: 1, dirs: ['/sys/fs/cgroup/freezer/x/1', '/sys/fs/cgroup/memory/x/1'] },
    argv: ['script'],
    ...extra,
  });

describe('container.json', () => {
  test('missing, malformed or invalid records give the reason', async () => {
    expect(await readContainerMeta(dir)).toMatch(/no container.json/);
    await writeFile(join(dir, 'container.json'), '{not json');
    expect(await readContainerMeta(dir)).toMatch(/^container.json: /);
    await writeFile(join(dir, 'container.json'), meta({ shimPid: -1 }));
    expect(await readContainerMeta(dir)).toMatch(/^container.json: /);
    await writeFile(join(dir, 'container.json'), meta({ cgroup: { version: 3, dirs: ['/x'] } }));
    expect(await readContainerMeta(dir)).toMatch(/^container.json: /);
  });

  test('a live process with the recorded start time is the shim; another start time is not', async () => {
    await writeFile(join(dir, 'container.json'), meta());
    const m = await readContainerMeta(dir);
    if (typeof m === 'string') throw new Error(m);
    expect(processStart(process.pid)).toMatch(/^\d+$/);
    expect(shimAlive(m)).toBe(true);
    expect(shimAlive({ ...m, shimStart: '1' })).toBe(false);
    expect(processStart(2 ** 22 + 1)).toBe('');
  });

  test('reattach refuses a pid that is not the recorded shim, or a reused one', async () => {
    const config = defaultVmConfig();
    await expect(reattachContainer({ pid: 1234, instanceDir: dir, config })).rejects.toThrow(
      /cannot re-adopt: no container.json/,
    );
    await writeFile(join(dir, 'container.json'), meta({ shimStart: '1' }));
    await expect(
      reattachContainer({ pid: process.pid, instanceDir: dir, config }),
    ).rejects.toMatchObject({
      code: 'ERR_CONTAINER_START',
      message: expect.stringMatching(/is not running any more/),
    });
    await writeFile(join(dir, 'container.json'), meta());
    await expect(
      reattachContainer({ pid: process.pid + 1, instanceDir: dir, config }),
    ).rejects.toThrow(/is not running any more/);
  });

  test('recorded v1 groups need a freezer and a memory dir', () => {
    expect(() => openContainerCgroup(1, ['/sys/fs/cgroup/cpu/x/1'])).toThrow(
      /no freezer or memory/,
    );
    expect(openContainerCgroup(1, ['/c/freezer/x/1', '/c/memory/x/1']).dirs).toHaveLength(2);
    expect(openContainerCgroup(2, ['/c/x/1']).version).toBe(2);
  });
});
