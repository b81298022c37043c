import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { hasBinary, realComponent, tempDir } from '#test-support';
import {
  buildGuestImage,
  GUEST_READY_MARKER,
  guestAppend,
  initScript,
  VIRTIO_MODULES,
} from '../src/index.js';

const real = realComponent('guest image (apt, dpkg, cpio, busybox, qemu)', () => {
  for (const b of ['apt-get', 'dpkg', 'cpio', 'busybox', 'qemu-system-x86_64']) {
    if (!hasBinary(b)) return `${b} not installed`;
  }
  return undefined;
});

describe('init script', () => {
  test('loads the virtio modules in dependency order and prints the marker', () => {
    const s = initScript();
    const loop = s.split('\n').find((l) => l.startsWith('for m in '));
    expect(loop).toBe(`for m in ${VIRTIO_MODULES.join(' ')}; do`);
    expect(VIRTIO_MODULES.indexOf('virtio_ring')).toBeLessThan(
      VIRTIO_MODULES.indexOf('virtio_net'),
    );
    expect(s).toContain(`echo "${GUEST_READY_MARKER}`);
    expect(guestAppend({ ip: '10.0.0.1/24' })).toContain('mm.ip=10.0.0.1/24');
  });
});

describe('buildGuestImage', () => {
  real.test(
    'builds a kernel + initramfs that boots to the ready marker under TCG',
    async () => {
      const img = await buildGuestImage();
      const kernel = await readFile(img.kernel);
      expect(kernel.subarray(0x202, 0x206).toString()).toBe('HdrS'); // bzImage header
      const { stdout } = await execa('sh', ['-c', 'gzip -dc "$0" | cpio -t --quiet', img.initrd]);
      expect(stdout.split('\n')).toEqual(
        expect.arrayContaining(['init', 'bin/busybox', 'lib/modules/virtio_net.ko']),
      );
      // a second call is served from the cache
      expect(await buildGuestImage()).toEqual(img);

      await using dir = await tempDir('mm-guest-');
      const serial = join(dir.path, 'serial.txt');
      const qemu = execa(
        'qemu-system-x86_64',
        [
          '-accel',
          'tcg',
          '-m',
          '128',
          '-nographic',
          '-nodefaults',
          '-serial',
          `file:${serial}`,
          '-kernel',
          img.kernel,
          '-initrd',
          img.initrd,
          '-append',
          guestAppend({ ip: '10.9.9.9/24' }).join(' '),
          '-netdev',
          'user,id=n0',
          '-device',
          'virtio-net-pci,netdev=n0',
        ],
        { reject: false },
      );
      try {
        let out = '';
        for (let i = 0; i < 900 && !out.includes(GUEST_READY_MARKER); i++) {
          await new Promise((r) => setTimeout(r, 100));
          out = await readFile(serial, 'utf8').catch(() => '');
        }
        expect(out).toContain(`${GUEST_READY_MARKER} mm-guest 10.9.9.9/24`);
      } finally {
        qemu.kill('SIGKILL');
        await qemu;
      }
    },
    150_000,
  );
});
