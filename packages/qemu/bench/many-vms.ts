// Benchmark: the local VmHost with N VMs on the fake driver (no QEMU): how
// long launch, start all, kill all and flush take at 1,000 VMs, and `kill
// all` in the middle of a launch whose QEMUs are slow to start. Prints wall
// and CPU time (user+sys of this process) per step; asserts nothing (the
// tests in apps/minimega/test/vm/launch-cancel.test.ts check the states).
//
//   node --import tsx packages/qemu/bench/many-vms.ts [count]
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createFakeDriver,
  createLocalVmHost,
  createSlowStartDriver,
  defaultVmConfig,
  type VmDriver,
} from '../src/index.js';

const COUNT = Number(process.argv[2] ?? 1000);
const config = { ...defaultVmConfig(), memory: 1 };
const all = { namespace: 'bench', targets: ['all'] };

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await fn();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  console.log(
    `${label.padEnd(44)} wall ${wall.toFixed(0).padStart(6)} ms   cpu ${((cpu.user + cpu.system) / 1000).toFixed(0).padStart(6)} ms`,
  );
  return r;
}

async function withHost(
  driver: VmDriver,
  fn: (h: ReturnType<typeof createLocalVmHost>) => Promise<void>,
) {
  const dir = await mkdtemp(join(tmpdir(), 'mm-bench-many-'));
  const host = createLocalVmHost({
    hostname: 'bench',
    drivers: { kvm: driver },
    baseDir: dir,
    filesDir: join(dir, 'files'),
    vncHost: false,
  });
  try {
    await fn(host);
  } finally {
    await host.close();
    await rm(dir, { recursive: true, force: true });
  }
}

console.log(
  `${COUNT} VMs, fake driver; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const names = Array.from({ length: COUNT }, (_, i) => `v${i}`);

await withHost(createFakeDriver(), async (h) => {
  await timed(`vm launch kvm ${COUNT}`, () =>
    h.launch({ namespace: 'bench', type: 'kvm', names, config }),
  );
  await timed('vm start all', () => h.start(all));
  await timed('vm kill all', () => h.kill(all));
  await timed('vm flush', () => h.flush(all));
});

// QEMUs slow to start (each waits for its signal): kill all mid-launch
const slow = createSlowStartDriver();
await withHost(slow.driver, async (h) => {
  const launching = h.launch({ namespace: 'bench', type: 'kvm', names, config });
  while (slow.started() === 0) await new Promise((r) => setTimeout(r, 5));
  await timed(`vm kill all during the launch of ${COUNT}`, () => h.kill(all));
  await timed('  ... until the launch returns', () => launching);
  console.log(`  QEMUs started: ${slow.started()} of ${COUNT}`);
  await timed('vm flush', () => h.flush(all));
});
