// The README's API tour: a VM config set from CLI words, then one VM
// launched, started, queried over QMP, killed and flushed.
//   pnpm exec tsx packages/qemu/examples/lifecycle.ts          # fake driver, runs anywhere
//   pnpm exec tsx packages/qemu/examples/lifecycle.ts --real   # real QEMU under TCG (qemu-system-x86)
// Outside this repo import from '@mm/qemu'.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigValueError,
  createFakeDriver,
  createQemuDriver,
  defaultVmConfig,
  findField,
  generateUuid,
  KvmVm,
} from '../src/index.js';

const base = await mkdtemp(join(tmpdir(), 'mm-demo-'));
const filesDir = join(base, 'files');

// config: defaults, one field set from CLI words, Go's error texts
const config = defaultVmConfig();
const memory = findField('memory');
if (!memory) throw new Error('no memory field');
await memory.set(config, ['256'], { filesDir });
try {
  await memory.set(config, ['foo'], { filesDir });
} catch (err) {
  if (err instanceof ConfigValueError) console.log(`memory foo: ${err.message}`);
  else throw err;
}

config.uuid = generateUuid(); // the daemon sets one per VM; QEMU refuses an empty -uuid

// a VM: launched paused (BUILDING), then started, stopped, killed, flushed
const driver = process.argv.includes('--real')
  ? createQemuDriver({ accel: 'tcg' })
  : createFakeDriver(); // in-memory QMP, no QEMU
const vm = new KvmVm({
  id: 0,
  name: 'foo',
  namespace: 'minimega',
  host: 'h',
  config,
  baseDir: base,
  filesDir,
  driver,
});
const launchError = await vm.launch(); // '' or the error (then vm.state === 'ERROR')
console.log(`launch: ${launchError || 'ok'} -> ${vm.state}`);
if (launchError) process.exitCode = 1;
else {
  await vm.start({ wild: false }); // RUNNING (QMP cont)
  console.log(`start -> ${vm.state}`);
  console.log(await vm.qmp('{"execute":"query-status"}'));
  await vm.kill(); // QUIT
  console.log(`kill -> ${vm.state}`);
}
await vm.flush(); // removes <base>/<id>
await driver.close?.();
await rm(base, { recursive: true, force: true });
