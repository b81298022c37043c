import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { hasBinary, realComponent, tempDir } from '#test-support';
import { accelResolver, probeAccel } from '../src/index.js';

const qemu = realComponent('qemu', () =>
  hasBinary('qemu-system-x86_64') ? undefined : 'qemu-system-x86_64 not installed',
);

describe('acceleration', () => {
  test('explicit settings are used as is', async () => {
    expect(await accelResolver('tcg')()).toBe('tcg');
    expect(await accelResolver('kvm')()).toBe('kvm');
  });

  qemu.test(
    'auto does not trust /dev/kvm: a probe kernel that does not boot means tcg',
    async () => {
      await using dir = await tempDir('mm-accel-');
      const kernel = join(dir.path, 'not-a-kernel');
      await writeFile(kernel, 'garbage');
      const logs: string[] = [];
      expect(await probeAccel({ kernel, timeoutMs: 3000, log: (m) => logs.push(m) })).toBe('tcg');
      expect(logs.join('\n')).toMatch(/tcg/);
    },
  );

  test('auto probes once and caches the answer', async () => {
    let calls = 0;
    const resolve = accelResolver('auto', {
      kernel: '/nonexistent',
      log: () => {
        calls++;
      },
    });
    const [a, b] = await Promise.all([resolve(), resolve()]);
    expect(a).toBe(b);
    expect(calls).toBe(1);
  });
});
