// A checkout under /tmp stays visible inside lab hosts that have a private
// /tmp (LabHostSpec.visible): the distributed minitest and scripts/cluster.sh
// run the daemons from the checkout, wherever it lives.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { tempDir } from '#test-support';
import { keptVisible, startLab } from '../src/lab.js';
import { netns } from './helpers.js';

describe('lab hosts keep visible paths', () => {
  test('only paths a private /tmp or a tmpfs would hide are bound back, each once', () => {
    const spec = { name: 'h', tmpfs: ['/root'] };
    expect(
      keptVisible({ ...spec, visible: ['/work/co', '/tmp/co', '/tmp/co/sub', '/tmpx'] }),
    ).toEqual([{ from: '/tmp/co', to: '/tmp/co' }]);
    expect(keptVisible({ ...spec, visible: ['/root/co/', '/tmp'] })).toEqual([
      { from: '/root/co', to: '/root/co' },
      { from: '/tmp', to: '/tmp' },
    ]);
    expect(keptVisible({ ...spec, privateTmp: false, visible: ['/tmp/co'] })).toEqual([]);
    expect(keptVisible({ name: 'h' })).toEqual([]);
  });

  netns.test(
    'a directory under /tmp is seen at its path by a host that keeps it, and not by one that does not',
    async () => {
      await using dir = await tempDir('mm-visible-');
      const file = join(dir.path, 'marker');
      await writeFile(file, 'here\n');
      await using lab = await startLab([{ name: 'keeps', visible: [dir.path] }, { name: 'hides' }]);
      const keeps = await lab.host('keeps').vhost!.exec(['cat', file]);
      expect(keeps).toMatchObject({ exitCode: 0, stdout: 'here' });
      const hides = await lab.host('hides').vhost!.exec(['cat', file]);
      expect(hides.exitCode).not.toBe(0);
      // the rest of /tmp is still the host's own
      const mine = await lab
        .host('keeps')
        .vhost!.exec(['sh', '-c', 'echo x > /tmp/mine && ls /tmp']);
      expect(mine.exitCode).toBe(0);
      expect(mine.stdout.split('\n').sort()).toEqual(['mine', dir.path.split('/')[2]].sort());
    },
    60_000,
  );
});
