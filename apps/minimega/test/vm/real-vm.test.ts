// The VM commands on real QEMU (TCG) booting the tiny guest image.
import { access, readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { createQemuDriver } from '@mm/qemu';
import { describe, expect } from 'vitest';
import { guestImage, hasBinary, realComponent } from '#test-support';
import { vmDaemon } from './harness.js';

const qemu = realComponent('qemu + guest image tools', () => {
  for (const b of ['qemu-system-x86_64', 'apt-get', 'dpkg', 'cpio', 'busybox']) {
    if (!hasBinary(b)) return `${b} not installed`;
  }
  return undefined;
});

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

describe('vm commands on real QEMU', () => {
  qemu.test('cpu, machine and NIC drivers are checked against what QEMU reports', async () => {
    await using d = await vmDaemon({ driver: createQemuDriver({ accel: 'tcg' }) });
    expect((await d.run('vm config cpu qemu64')).errors).toEqual([]);
    expect((await d.run('vm config cpu')).text).toBe('qemu64');
    expect((await d.run('vm config cpu nope')).errors).toEqual([
      'invalid QEMU CPU: `nope`, see help',
    ]);
    expect((await d.run('vm config machine pc')).errors).toEqual([]);
    expect((await d.run('vm config machine nope')).errors).toEqual([
      'invalid QEMU machine: `nope`, see help',
    ]);
    expect((await d.run('vm config net 100,virtio-net-pci')).errors).toEqual([]);
    expect((await d.run('vm config net')).text).toBe('[100,virtio-net-pci]');
    expect((await d.run('vm config net 100,e1000')).errors).toEqual([]);
    expect((await d.run('vm config net')).text).toBe('[100]');
  });

  qemu.test(
    '3 tiny guests: launch, start (ready marker on serial), stop, screenshot, kill, flush; crash -> ERROR',
    async () => {
      const img = await guestImage();
      await using d = await vmDaemon({ driver: createQemuDriver({ accel: 'tcg' }) });
      const ok = async (line: string) => {
        const r = await d.run(line);
        expect(r.errors, line).toEqual([]);
        return r.text;
      };
      await ok('vm config memory 128');
      await ok(`vm config kernel ${img.kernel}`);
      await ok(`vm config initrd ${img.initrd}`);
      await ok('vm config serial-ports 1');
      await ok('vm config append console=ttyS0 quiet mm.ip=10.0.0.1/24');
      await ok('vm launch kvm g[1-3]');
      expect(await ok('.columns name,state vm info')).toBe(
        'name | state\ng1   | BUILDING\ng2   | BUILDING\ng3   | BUILDING',
      );
      const serial: string[] = ['', '', ''];
      const socks: Socket[] = [0, 1, 2].map((i) => {
        const s = connect(join(d.base, String(i), 'serial0'));
        s.on('data', (b) => {
          serial[i] += b.toString();
        });
        return s;
      });
      try {
        await ok('vm start all');
        expect(await ok('.columns name,state vm info')).toBe(
          'name | state\ng1   | RUNNING\ng2   | RUNNING\ng3   | RUNNING',
        );
        for (let t = 0; t < 900 && !serial.every((s) => s.includes('MM-GUEST-READY')); t++) {
          await new Promise((r) => setTimeout(r, 100));
        }
        for (const s of serial) expect(s).toContain('MM-GUEST-READY mm-guest 10.0.0.1/24');
      } finally {
        for (const s of socks) s.destroy();
      }
      await ok('vm stop g1');
      expect(await ok('.columns state .filter name=g1 vm info')).toBe('state\nPAUSED');
      await ok('vm screenshot g2 file shot.png 64');
      const png = await readFile(join(d.base, 'files', 'shot.png'));
      expect(png.subarray(1, 4).toString()).toBe('PNG');

      const pid = Number(
        await ok('.columns pid .filter name=g3 vm info').then((t) => t.split('\n')[1]),
      );
      process.kill(pid, 'SIGKILL');
      for (
        let t = 0;
        t < 50 && !(await d.run('.columns state .filter name=g3 vm info')).text.includes('ERROR');
        t++
      ) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await ok('.columns state,tags .filter name=g3 vm info')).toMatch(
        /^state \| tags\nERROR \| \{"error":"qemu killed by SIGKILL/,
      );

      await ok('vm kill all');
      expect(await ok('.columns name,state vm info')).toBe(
        'name | state\ng1   | QUIT\ng2   | QUIT\ng3   | ERROR',
      );
      await ok('vm flush');
      expect(await ok('vm info')).toBe('');
      for (const i of [0, 1, 2]) expect(await exists(join(d.base, String(i)))).toBe(false);
    },
    180_000,
  );
});
