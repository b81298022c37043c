// The VmHost compliance suite on the local host: fake driver, real QEMU (TCG).
import { test } from 'vitest';
import { guestImage, hasBinary, realComponent, tempDir } from '#test-support';
import {
  createFakeDriver,
  createLocalVmHost,
  createQemuDriver,
  defaultVmConfig,
} from '../src/index.js';
import { vmHostCompliance } from './vm-host-compliance.js';

vmHostCompliance(
  'local host, fake driver',
  async () => {
    const dir = await tempDir('mm-vmhost-');
    const host = createLocalVmHost({
      hostname: 'h1',
      drivers: { kvm: createFakeDriver() },
      baseDir: dir.path,
      filesDir: `${dir.path}/files`,
      vncHost: false,
    });
    return {
      host,
      hostname: 'h1',
      config: () => ({ ...defaultVmConfig(), memory: 64 }),
      async [Symbol.asyncDispose]() {
        await host.close();
        await dir[Symbol.asyncDispose]();
      },
    };
  },
  test,
);

const qemu = realComponent('qemu', () =>
  hasBinary('qemu-system-x86_64') ? undefined : 'qemu-system-x86_64 not installed',
);

vmHostCompliance(
  'local host, real QEMU (tcg)',
  async () => {
    const img = await guestImage();
    const dir = await tempDir('mm-vmhost-real-');
    const host = createLocalVmHost({
      hostname: 'h1',
      drivers: { kvm: createQemuDriver({ accel: 'tcg' }) },
      baseDir: dir.path,
      filesDir: `${dir.path}/files`,
    });
    return {
      host,
      hostname: 'h1',
      config: () => ({
        ...defaultVmConfig(),
        memory: 64,
        backchannel: false,
        kernel: img.kernel,
        initrd: img.initrd,
      }),
      async [Symbol.asyncDispose]() {
        await host.close();
        await dir[Symbol.asyncDispose]();
      },
    };
  },
  qemu.test,
);
