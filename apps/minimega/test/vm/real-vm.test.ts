// The VM commands on real QEMU (TCG) booting the tiny guest image.
import { access, mkdir, readFile, stat } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { isAbsolute, join, resolve } from 'node:path';
import { createQemuDriver } from '@mm/qemu';
import { execa } from 'execa';
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

  qemu.test(
    'ns save of a booted guest; launch.mm brings it back from its state and disk',
    async () => {
      const img = await guestImage();
      await using d = await vmDaemon({ driver: createQemuDriver({ accel: 'tcg' }) });
      const ok = async (line: string) => {
        const r = await d.run(line);
        expect(r.errors, line).toEqual([]);
        return r.text;
      };
      const files = join(d.base, 'files');
      await mkdir(files, { recursive: true });
      await execa('qemu-img', ['create', '-f', 'qcow2', join(files, 'data.qcow2'), '16M']);
      await ok('vm config memory 128');
      await ok(`vm config kernel ${img.kernel}`);
      await ok(`vm config initrd ${img.initrd}`);
      await ok('vm config serial-ports 1');
      await ok('vm config append console=ttyS0 quiet mm.ip=10.0.0.1/24');
      await ok('vm config disk data.qcow2');
      await ok('vm launch kvm g1');
      let serial = '';
      const sock = connect(join(d.base, '0', 'serial0'));
      sock.on('data', (b) => {
        serial += b.toString();
      });
      try {
        await ok('vm start g1');
        for (let t = 0; t < 900 && !serial.includes('MM-GUEST-READY'); t++) {
          await new Promise((r) => setTimeout(r, 100));
        }
        expect(serial).toContain('MM-GUEST-READY');
      } finally {
        sock.destroy();
      }
      // returns once the state file is complete
      await ok('ns save snap');
      expect(await ok('ns save')).toBe('completed | total\n1         | 1');
      expect(await ok('.columns name,state vm info')).toBe('name | state\ng1   | PAUSED');
      const dir = join(files, 'saved', 'snap');
      expect((await stat(join(dir, 'g1.state'))).size).toBeGreaterThan(100_000);
      const hdd = JSON.parse(
        (await execa('qemu-img', ['info', '-U', '--output=json', join(dir, 'g1.hdd')])).stdout,
      );
      // backed by the original disk through an absolute path (valid from saved/)
      expect(isAbsolute(hdd['backing-filename'])).toBe(true);
      expect(resolve(hdd['backing-filename'])).toBe(join(files, 'data.qcow2'));
      const script = await readFile(join(dir, 'launch.mm'), 'utf8');
      expect(script).toContain('vm config state file:saved/snap/g1.state\n');
      expect(script).toContain('vm config disks file:saved/snap/g1.hdd\n');
      // the original goes; the script (its commands, without the 10 s nap) relaunches it
      await ok('vm kill all');
      await ok('vm flush');
      for (const line of script.split('\n')) {
        if (line === '' || line.startsWith('#') || line.startsWith('shell ')) continue;
        await ok(line);
      }
      expect(await ok('.columns name,state vm info')).toBe('name | state\ng1   | RUNNING');
      // QEMU loaded the state (a bad one fails -incoming and QEMU exits) before
      // the first `vm start` let it run: no 10 s nap needed
      const status = JSON.parse(await ok(`vm qmp g1 '{"execute":"query-status"}'`));
      expect(status.return.status).toBe('running');
      await new Promise((r) => setTimeout(r, 1000));
      expect(await ok('.columns name,state vm info')).toBe('name | state\ng1   | RUNNING');
    },
    300_000,
  );
});
