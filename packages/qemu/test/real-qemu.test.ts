// Real QEMU (TCG): launch, start, stop, kill, flush, screenshot, a crash from
// outside, 20 guests at once, and the tiny guest's ready marker on serial.
import { access, readdir, readFile } from 'node:fs/promises';
import { connect, createConnection } from 'node:net';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect } from 'vitest';
import { guestImage, hasBinary, realComponent, tempDir } from '#test-support';
import { createQemuDriver, defaultVmConfig, KvmVm, type VmConfig } from '../src/index.js';

const qemu = realComponent('qemu', () =>
  hasBinary('qemu-system-x86_64') ? undefined : 'qemu-system-x86_64 not installed',
);

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

/** each thread's niceness (/proc/<pid>/task/<tid>/stat field 19) */
async function threadNices(pid: number): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    out.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
  }
  return out;
}

async function setup(spawn: 'helper' | 'direct' = 'helper') {
  const dir = await tempDir('mm-realvm-');
  const driver = createQemuDriver({ accel: 'tcg', spawn });
  const vms: KvmVm[] = [];
  let id = 0;
  const make = (name: string, tweak?: (c: VmConfig) => void) => {
    const config = defaultVmConfig();
    config.memory = 64;
    config.uuid = `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`;
    config.backchannel = false;
    tweak?.(config);
    const vm = new KvmVm({
      id: id++,
      name,
      namespace: 'minimega',
      host: 'h',
      config,
      baseDir: dir.path,
      filesDir: join(dir.path, 'files'),
      driver,
    });
    vms.push(vm);
    return vm;
  };
  return {
    make,
    path: dir.path,
    async [Symbol.asyncDispose]() {
      await Promise.all(vms.map((v) => v.kill().catch(() => false)));
      await driver.close();
      await dir[Symbol.asyncDispose]();
    },
  };
}

describe('real QEMU (tcg)', () => {
  for (const spawn of ['helper', 'direct'] as const) {
    qemu.test(`launch 3, start, stop, kill, flush (spawn: ${spawn})`, async () => {
      await using env = await setup(spawn);
      const vms = ['a', 'b', 'c'].map((n) => env.make(n));
      expect(await Promise.all(vms.map((v) => v.launch()))).toEqual(['', '', '']);
      for (const v of vms) {
        expect(v.state).toBe('BUILDING');
        expect(v.pid).toBeGreaterThan(0);
        // a guest, not the daemon, is the kernel's first choice when memory runs out
        expect((await readFile(`/proc/${v.pid}/comm`, 'utf8')).trim()).toMatch(/^qemu-system/);
        expect((await readFile(`/proc/${v.pid}/oom_score_adj`, 'utf8')).trim()).toBe('500');
        // the guest's vCPUs yield to everything else; QEMU's control side
        // (QMP, devices) runs between them and the daemon (root may raise it)
        const vcpus = JSON.parse(await v.qmp('{"execute":"query-cpus-fast"}')).return.map(
          (c: { 'thread-id': number }) => c['thread-id'],
        );
        const nices = await threadNices(v.pid);
        expect(vcpus.length).toBe(1);
        expect(nices.get(vcpus[0])).toBe(10);
        expect(nices.get(v.pid)).toBe(process.getuid?.() === 0 ? getPriority() + 5 : 10);
        expect(await v.qmp('{ "execute": "query-status" }')).toBe(
          '{"return":{"running":false,"singlestep":false,"status":"prelaunch"}}',
        );
        // a start burst puts the vCPUs in the background (when their
        // priority can be raised back: root), the control side stays
        v.background(true);
        const bg = await threadNices(v.pid);
        expect(bg.get(vcpus[0])).toBe(process.getuid?.() === 0 ? 19 : 10);
        expect(bg.get(v.pid)).toBe(nices.get(v.pid));
      }
      await Promise.all(vms.map((v) => v.start({ wild: true })));
      for (const v of vms) {
        // and back to the guests' niceness once the burst's conts answered
        v.background(false);
        const vcpu = JSON.parse(await v.qmp('{"execute":"query-cpus-fast"}')).return[0];
        expect((await threadNices(v.pid)).get(vcpu['thread-id'])).toBe(10);
        expect(v.state).toBe('RUNNING');
        expect(JSON.parse(await v.qmp('{"execute":"query-status"}')).return.status).toBe('running');
      }
      expect(await vms[0]!.stop()).toBe(true);
      expect(vms[0]!.state).toBe('PAUSED');
      expect(JSON.parse(await vms[0]!.qmp('{"execute":"query-status"}')).return.status).toBe(
        'paused',
      );
      for (const v of vms) {
        expect(await v.kill()).toBe(true);
        expect(v.state).toBe('QUIT');
        expect(() => process.kill(v.pid, 0)).toThrow();
        await v.flush();
        expect(await exists(v.instanceDir)).toBe(false);
      }
    });
  }

  qemu.test("the VNC shim proxies a TCP port to QEMU's VNC socket", async () => {
    await using env = await setup();
    const vm = env.make('vnc');
    expect(await vm.launch()).toBe('');
    expect(vm.vncPort).toBeGreaterThan(0);
    const greeting = await new Promise<string>((resolve, reject) => {
      const s = createConnection({ host: '127.0.0.1', port: vm.vncPort });
      s.once('data', (d) => {
        s.destroy();
        resolve(d.toString());
      });
      s.once('error', reject);
    });
    expect(greeting).toMatch(/^RFB 003\.008\n/);
  });

  qemu.test('a snapshot of a missing or unreadable disk fails saying why', async () => {
    await using env = await setup();
    const files = join(env.path, 'files');
    await execa('mkdir', ['-p', files]);
    const missing = join(files, 'missing.img');
    const gone = env.make('gone', (c) => {
      c.disks = [{ path: missing, iface: '', cache: '', snapshotPath: '' }];
    });
    expect(await gone.launch()).toBe(`unable to snapshot ${missing}: no such file or directory`);
    // a directory is there but is no image: qemu-img's words, not execa's command dump
    const dir = join(files, 'adir');
    await execa('mkdir', ['-p', dir]);
    const bad = env.make('bad', (c) => {
      c.disks = [{ path: dir, iface: '', cache: '', snapshotPath: '' }];
    });
    const err = await bad.launch();
    expect(err).toMatch(new RegExp(`^unable to snapshot ${dir}: qemu-img: `));
    expect(err).not.toContain('Command failed');
  });

  qemu.test('snapshot disks get a qcow2 overlay in the instance dir; QEMU uses it', async () => {
    await using env = await setup();
    const files = join(env.path, 'files');
    await execa('mkdir', ['-p', files]);
    await execa('qemu-img', ['create', '-f', 'raw', join(files, 'd.img'), '1M']);
    const vm = env.make('disk', (c) => {
      c.disks = [{ path: join(files, 'd.img'), iface: 'virtio', cache: '', snapshotPath: '' }];
    });
    expect(await vm.launch()).toBe('');
    const overlay = join(vm.instanceDir, 'disk-0.qcow2');
    const info = JSON.parse(
      (await execa('qemu-img', ['info', '-U', '--output=json', overlay])).stdout,
    );
    expect(info.format).toBe('qcow2');
    expect(info['backing-filename']).toBe('../files/d.img');
    expect(vm.argv).toContain(`file=${overlay},media=disk,if=virtio,cache=unsafe`);
    const blocks = (await vm.execute('query-block')) as Array<{ inserted?: { file: string } }>;
    expect(blocks.some((b) => b.inserted?.file === overlay)).toBe(true);
  });

  qemu.test('vm save: disk backup and state migration', async () => {
    await using env = await setup();
    const files = join(env.path, 'files');
    await execa('mkdir', ['-p', files]);
    await execa('qemu-img', ['create', '-f', 'raw', join(files, 'd.img'), '1M']);
    const vm = env.make('saver', (c) => {
      c.disks = [{ path: join(files, 'd.img'), iface: '', cache: '', snapshotPath: '' }];
    });
    expect(await vm.launch()).toBe('');
    await vm.start({ wild: false });
    // a quote and shell metacharacters in the name stay part of the file name
    const target = join(files, 'saved', "it's $(touch pwned) ;x");
    await vm.save({ state: `${target}.state`, disk: `${target}.hdd` });
    expect(vm.state).toBe('PAUSED');
    let status: { status: string; complete: string } | undefined;
    for (let i = 0; i < 100; i++) {
      status = await vm.migrateStatus();
      if (status?.status === 'completed' || status?.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toEqual({ status: 'completed', complete: '100.00' });
    expect(await exists(`${target}.hdd`)).toBe(true);
    expect(await exists(`${target}.state`)).toBe(true);
    expect(await exists(join(files, 'saved', 'pwned'))).toBe(false);
    expect(await exists('pwned')).toBe(false);
  });

  qemu.test('cdrom change/eject and USB hotplug add/remove through QMP', async () => {
    await using env = await setup();
    const files = join(env.path, 'files');
    await execa('mkdir', ['-p', files]);
    const img = join(files, 'usb.img');
    await execa('qemu-img', ['create', '-f', 'raw', img, '1M']);
    const vm = env.make('media');
    expect(await vm.launch()).toBe('');
    await vm.cdromChange(img, false);
    expect(vm.config.cdrom).toBe(img);
    const inserted = async () =>
      (
        (await vm.execute('query-block')) as Array<{ device: string; inserted?: { file: string } }>
      ).find((b) => b.device === 'ide0-cd0')?.inserted?.file;
    expect(await inserted()).toBe(img);
    await vm.cdromEject(true);
    expect(vm.config.cdrom).toBe('');
    expect(await inserted()).toBeUndefined();
    expect(await vm.hotplugAdd(img, '2.0', 'SER1')).toBe(0);
    expect(await vm.hmp('info usb')).toContain('hotplug0');
    await expect(vm.hotplugAdd('/nonexistent.img', '', '')).rejects.toThrow(/ENOENT/);
    await vm.hotplugRemove(0);
    expect(vm.hotplug.size).toBe(0);
    // QEMU frees the id only when the device is finalized (after device_del
    // returns): adding again at once reuses id 0 (minimitest vm_hotplug)
    expect(await vm.hotplugAdd(img, '', '')).toBe(0);
    expect(await vm.hmp('info usb')).toContain('hotplug0');
    // a second VM gets the image the first one writes, read-only (QEMU's
    // write lock refuses a second writer; `vm hotplug add all IMG`)
    const other = env.make('media2');
    expect(await other.launch()).toBe('');
    expect(await other.hotplugAdd(img, '', '')).toBe(0);
    expect(await other.hmp('info usb')).toContain('hotplug0');
    expect(await other.hmp('info block hotplug0')).toMatch(/read-only/);
    expect(await vm.hmp('info block hotplug0')).not.toMatch(/read-only/);
    await vm.hotplugRemove(0);
    expect(await vm.hmp('info usb')).not.toContain('hotplug0');
  });

  qemu.test('screenshot writes a valid PNG', async () => {
    await using env = await setup();
    const vm = env.make('shot');
    expect(await vm.launch()).toBe('');
    await vm.start({ wild: false });
    const png = await vm.screenshot(100);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    const w = png.readUInt32BE(16);
    const h = png.readUInt32BE(20);
    expect(Math.max(w, h)).toBe(100);
    expect(await readFile(join(vm.instanceDir, 'screenshot.png'))).toEqual(png);
  });

  for (const spawn of ['helper', 'direct'] as const) {
    qemu.test(
      `a qemu killed from outside shows ERROR with the reason (spawn: ${spawn})`,
      async () => {
        await using env = await setup(spawn);
        const vm = env.make('victim');
        await vm.launch();
        await vm.start({ wild: false });
        const changed = vm.nextChange();
        process.kill(vm.pid, 'SIGKILL');
        await changed;
        expect(vm.state).toBe('ERROR');
        expect(vm.tags.error).toMatch(/^qemu killed by SIGKILL/);
        expect(await readFile(join(vm.instanceDir, 'state'), 'utf8')).toBe('ERROR');
        // an explicit start relaunches it in the same instance dir
        const oldPid = vm.pid;
        expect(await vm.start({ wild: false })).toBe(true);
        expect(vm.state).toBe('RUNNING');
        expect(vm.pid).not.toBe(oldPid);
        expect(vm.tags.error).toBeUndefined();
        expect(JSON.parse(await vm.qmp('{"execute":"query-status"}')).return.status).toBe(
          'running',
        );
      },
    );
  }

  for (const spawn of ['helper', 'direct'] as const) {
    qemu.test(
      `a qemu that fails to start shows ERROR with its stderr (spawn: ${spawn})`,
      async () => {
        await using env = await setup(spawn);
        const vm = env.make('bad', (c) => {
          c.qemuAppend = ['-bogus-flag'];
        });
        const err = await vm.launch();
        expect(vm.state).toBe('ERROR');
        // it exited: a start failure with QEMU's own words, not a QMP timeout
        // and not QEMU's "waiting for connection" chatter
        expect(err).toMatch(
          /^unable to start qemu: qemu exited with status 1: \S*qemu-system-x86_64: -bogus-flag: invalid option$/,
        );
        expect(vm.tags.error).toBe(err);
        // a relaunch reports its own run's stderr only, not the earlier run's again
        await expect(vm.start({ wild: false })).rejects.toThrow(`unable to start: ${err}`);
        expect(vm.tags.error).toBe(err);
      },
    );
  }

  qemu.test(
    '20 guests launched at once',
    async () => {
      await using env = await setup();
      const vms = Array.from({ length: 20 }, (_, i) => env.make(`m${i}`));
      const errs = await Promise.all(vms.map((v) => v.launch()));
      expect(errs.filter((e) => e !== '')).toEqual([]);
      expect(vms.every((v) => v.state === 'BUILDING')).toBe(true);
      await Promise.all(vms.map((v) => v.kill()));
      expect(vms.every((v) => v.state === 'QUIT')).toBe(true);
    },
    60_000,
  );

  qemu.test(
    'the tiny guest boots and prints its ready marker on serial',
    async () => {
      const { kernel, initrd } = await guestImage();
      expect(kernel && initrd).toBeTruthy();
      await using env = await setup();
      const vm = env.make('guest', (c) => {
        c.memory = 128;
        c.kernel = kernel;
        c.initrd = initrd;
        // serial-ports 1 is the guest's ttyS0 (socket I/serial0)
        c.serialPorts = 1;
        // a word with a space is quoted on the kernel command line; it must
        // reach QEMU inside the one -append argument
        c.append = ['console=ttyS0', 'quiet', 'mm.ip=10.0.0.1/24', 'mm.note=x y'];
      });
      expect(await vm.launch()).toBe('');
      expect(vm.argv[vm.argv.indexOf('-append') + 1]).toBe(
        'console=ttyS0 quiet mm.ip=10.0.0.1/24 "mm.note=x y"',
      );
      const sock = connect(join(vm.instanceDir, 'serial0'));
      let out = '';
      sock.on('data', (d) => {
        out += d.toString();
      });
      await vm.start({ wild: false });
      for (let i = 0; i < 900 && !out.includes('MM-GUEST-READY'); i++)
        await new Promise((r) => setTimeout(r, 100));
      sock.destroy();
      expect(out).toContain('MM-GUEST-READY mm-guest 10.0.0.1/24');
    },
    150_000,
  );
});
