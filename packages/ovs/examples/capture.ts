// Packet captures of VM interfaces (`capture pcap vm ...`), per namespace.
//   pnpm exec tsx packages/ovs/examples/capture.ts          # a fake capture process, runs anywhere
//   pnpm exec tsx packages/ovs/examples/capture.ts --real   # tcpdump (root) on the loopback device
// Outside this repo import from '@mm/ovs'.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCaptures, type PcapStarter, tcpdumpStarter } from '../src/index.js';

const real = process.argv.includes('--real');
// the fake stands in for tcpdump: it records nothing and stops at once
const fake: PcapStarter = async () => ({ exited: new Promise(() => {}), stop: async () => {} });
const dir = await mkdtemp(join(tmpdir(), 'capture-example-'));
const file = join(dir, 'vm0.pcap');
{
  await using captures = createCaptures({ start: real ? tcpdumpStarter() : fake });
  captures.settings('minimega').snaplen = 96; // `capture pcap snaplen 96`
  // a real VM's tap is mega_tapN on its bridge; the loopback device stands in here
  await captures.captureVm(
    'minimega',
    { name: 'vm0', index: 0, tap: real ? 'lo' : 'mega_tap0', bridge: 'mega_bridge' },
    file,
  );
  console.log(captures.list('minimega')); // [{ id: 0, vm: 'vm0', index: 0, path, ... }]
  await captures.stopVm('minimega', 'vm0'); // or 'all'; stopAll(ns) for `clear capture`
  console.log('left:', captures.list('minimega').length);
  if (real) console.log(`${file}: ${(await stat(file)).size} bytes`);
}
await rm(dir, { recursive: true, force: true });
