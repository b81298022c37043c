import { access, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { tempDir } from '#test-support';
import {
  createFakeDriver,
  defaultVmConfig,
  encodePng,
  KvmVm,
  parsePpm,
  ppmToPng,
  thumbnail,
  VmStateError,
} from '../src/index.js';

async function setup() {
  const dir = await tempDir('mm-vm-');
  const driver = createFakeDriver();
  let id = 0;
  const make = (name: string) => {
    const config = defaultVmConfig();
    config.uuid = `uuid-${name}`;
    return new KvmVm({
      id: id++,
      name,
      namespace: 'minimega',
      host: 'h',
      config,
      baseDir: dir.path,
      filesDir: join(dir.path, 'files'),
      driver,
    });
  };
  return { dir, driver, make };
}

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

describe('KvmVm lifecycle (fake driver)', () => {
  test('launch -> BUILDING with instance dir and alias; start/stop/kill/flush', async () => {
    const { dir, make, driver } = await setup();
    await using _ = dir;
    const vm = make('foo');
    expect(await vm.launch()).toBe('');
    expect(vm.state).toBe('BUILDING');
    expect(await readFile(join(vm.instanceDir, 'name'), 'utf8')).toBe('foo');
    expect(await exists(join(vm.instanceDir, 'state'))).toBe(false);
    expect(await readlink(join(dir.path, 'namespaces', 'minimega', 'uuid-foo'))).toBe(
      vm.instanceDir,
    );
    expect(await vm.qmp('{"execute":"query-status"}')).toBe(
      '{"return":{"running":false,"singlestep":false,"status":"prelaunch"}}',
    );
    expect(await vm.start({ wild: false })).toBe(true);
    expect(vm.state).toBe('RUNNING');
    // the state file follows the change (written behind it, in order)
    await vm.settled();
    expect(await readFile(join(vm.instanceDir, 'state'), 'utf8')).toBe('RUNNING');
    await expect(vm.start({ wild: false })).rejects.toThrow('vm is already running');
    expect(await vm.start({ wild: true })).toBe(false);
    expect(await vm.stop()).toBe(true);
    expect(vm.state).toBe('PAUSED');
    expect(await vm.stop()).toBe(false);
    await expect(vm.flush()).rejects.toBeInstanceOf(VmStateError);
    expect(await vm.kill()).toBe(true);
    expect(vm.state).toBe('QUIT');
    expect(await vm.kill()).toBe(false);
    expect(driver.processes.get(0)?.commands).toEqual(['query-status', 'cont', 'stop']);
    await vm.flush();
    expect(await exists(vm.instanceDir)).toBe(false);
    expect(await exists(join(dir.path, 'namespaces'))).toBe(false);
  });

  test('QUIT is relaunched by an explicit start, not a wild one', async () => {
    const { dir, make, driver } = await setup();
    await using _ = dir;
    const vm = make('a');
    await vm.launch();
    await vm.kill();
    expect(await vm.start({ wild: true })).toBe(false);
    expect(vm.state).toBe('QUIT');
    const first = driver.processes.get(vm.id);
    expect(await vm.start({ wild: false })).toBe(true);
    expect(vm.state).toBe('RUNNING');
    expect(driver.processes.get(vm.id)).not.toBe(first);
  });

  test('a crash goes to ERROR with the reason in the error tag', async () => {
    const { dir, make, driver } = await setup();
    await using _ = dir;
    const vm = make('c');
    await vm.launch();
    await vm.start({ wild: false });
    const changed = vm.nextChange();
    driver.processes.get(vm.id)!.crash('qemu killed by SIGSEGV');
    await changed;
    expect(vm.state).toBe('ERROR');
    expect(vm.tags.error).toBe('qemu killed by SIGSEGV');
    await vm.flush();
  });

  test('a failed start goes to ERROR', async () => {
    const { dir, make, driver } = await setup();
    await using _ = dir;
    const vm = make('f');
    driver.failNextStart(vm.id, 'unable to start qemu: boom');
    expect(await vm.launch()).toBe('unable to start qemu: boom');
    expect(vm.state).toBe('ERROR');
    expect(vm.tags.error).toBe('unable to start qemu: boom');
  });

  test('snapshot overlays are created per disk', async () => {
    const { dir, make, driver } = await setup();
    await using _ = dir;
    const vm = make('d');
    vm.config.disks = [
      { path: join(dir.path, 'files', 'a.img'), iface: '', cache: '', snapshotPath: '' },
    ];
    await vm.launch();
    expect(vm.config.disks[0]!.snapshotPath).toBe(join(vm.instanceDir, 'disk-0.qcow2'));
    expect(driver.overlays).toEqual([join(vm.instanceDir, 'disk-0.qcow2')]);
  });

  test('vm qmp: bad JSON and QMP errors', async () => {
    const { dir, make } = await setup();
    await using _ = dir;
    const vm = make('q');
    await vm.launch();
    await expect(vm.qmp('{nope')).rejects.toThrow(/^invalid JSON: /);
    await expect(vm.qmp('{"execute":"bogus"}')).rejects.toThrow(
      'received nil status: CommandNotFound: The command bogus has not been found',
    );
  });

  test('screenshot needs RUNNING and writes a PNG', async () => {
    const { dir, make } = await setup();
    await using _ = dir;
    const vm = make('s');
    await vm.launch();
    await expect(vm.screenshot(0)).rejects.toThrow(`vm not running: ${vm.id}`);
    await vm.start({ wild: false });
    const png = await vm.screenshot(0);
    expect(png.subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
    expect(await readFile(join(vm.instanceDir, 'screenshot.png'))).toEqual(png);
  });
});

describe('PPM -> PNG', () => {
  test('parses P6 and encodes a PNG with the right size', () => {
    const ppm = Buffer.concat([Buffer.from('P6\n# c\n4 2\n255\n'), Buffer.alloc(24, 7)]);
    const img = parsePpm(ppm);
    expect([img.width, img.height]).toEqual([4, 2]);
    const png = ppmToPng(ppm);
    expect(png.readUInt32BE(16)).toBe(4);
    expect(png.readUInt32BE(20)).toBe(2);
    const t = thumbnail(img, 2);
    expect([t.width, t.height]).toEqual([2, 1]);
    expect(encodePng(t).subarray(12, 16).toString()).toBe('IHDR');
    expect(() => parsePpm(Buffer.from('P3\n1 1\n255\n'))).toThrow('not a binary PPM');
  });
});
