// Benchmark: containers through the 'container' driver and the generic VM
// lifecycle: launch (to BUILDING) + start of N containers at once (default
// 20 and 100; target: 20 in <= 2 s on 2 cores), kill + flush, and what one
// idle container costs on the host (processes and RSS, counting the
// script + unshare supervisors). Prints figures; asserts nothing.
//
//   node --import tsx packages/qemu/bench/containers.ts [count...]
import { readFile } from 'node:fs/promises';
import { containerFs, tempDir, uniqueName } from '../../../test-support/index.js';
import {
  type ContainerProcess,
  createContainerDriver,
  defaultVmConfig,
  KvmVm,
  removeCgroupParent,
} from '../src/index.js';

const counts = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
if (counts.length === 0) counts.push(20, 100);

const rootfs = (await containerFs()).dir;
const parent = uniqueName('mmbench');
const driver = createContainerDriver({ cgroupParent: parent, consoleHost: false });
const procs = new Map<number, ContainerProcess>();
const tracked = {
  ...driver,
  async start(o: Parameters<typeof driver.start>[0]) {
    const p = await driver.start(o);
    procs.set(o.id, p);
    return p;
  },
};

async function rssKb(pid: number): Promise<number> {
  const s = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0);
}

async function ppid(pid: number): Promise<number> {
  const st = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1] ?? 0);
}

/** CPU seconds of this process plus its reaped descendants (user+sys) */
async function cpuSeconds(): Promise<number> {
  const st = await readFile('/proc/self/stat', 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
  // fields 14-17 (utime, stime, cutime, cstime) are 11-14 after the comm
  return [11, 12, 13, 14].reduce((a, i) => a + Number(f[i] ?? 0), 0) / 100;
}

let id = 1;
for (const n of counts) {
  await using dir = await tempDir('mm-bench-ct-');
  const vms = Array.from({ length: n }, () => {
    const config = defaultVmConfig();
    config.filesystem = rootfs;
    config.memory = 64;
    config.uuid = `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`;
    return new KvmVm({
      id: id++,
      name: `c${id}`,
      namespace: 'bench',
      host: 'bench',
      type: 'container',
      config,
      baseDir: dir.path,
      filesDir: dir.path,
      driver: tracked,
      vncHost: false,
    });
  });
  try {
    const cpu0 = await cpuSeconds();
    const t0 = performance.now();
    const errs = (await Promise.all(vms.map((v) => v.launch()))).filter(Boolean);
    const t1 = performance.now();
    await Promise.all(vms.map((v) => v.start({ wild: false })));
    const t2 = performance.now();
    if (errs.length) console.log(`  ${errs.length} launch errors, first: ${errs[0]}`);
    await new Promise((r) => setTimeout(r, 1000));
    // per idle container: its cgroup's tasks plus the host-side supervisors
    let nproc = 0;
    let rss = 0;
    for (const vm of vms) {
      const p = procs.get(vm.id);
      if (!p) continue;
      const inside = await p.pids();
      // init's parent is unshare, whose parent is script (the console pty)
      const unshare = await ppid(p.pid);
      const sup = [unshare, await ppid(unshare)].filter((x) => x > 1);
      for (const pid of [...inside, ...sup]) rss += await rssKb(pid);
      nproc += inside.length + sup.length;
    }
    const t3 = performance.now();
    await Promise.all(vms.map((v) => v.kill()));
    await Promise.all(vms.map((v) => v.flush()));
    const t4 = performance.now();
    // every container process has been reaped by now: its CPU is counted
    const cpu = (await cpuSeconds()) - cpu0;
    console.log(
      `${n} containers: launch ${(t1 - t0).toFixed(0)} ms, start ${(t2 - t1).toFixed(0)} ms, ` +
        `launch+start ${(t2 - t0).toFixed(0)} ms; kill+flush ${(t4 - t3).toFixed(0)} ms; ` +
        `CPU for the whole cycle ${(cpu * 1000).toFixed(0)} ms (${((cpu * 1000) / n).toFixed(0)} ms per container, load-independent); ` +
        `per idle container: ${(nproc / n).toFixed(1)} processes, ${(rss / n / 1024).toFixed(2)} MiB RSS (sum of VmRSS, shared pages counted in each)`,
    );
  } finally {
    for (const v of vms) {
      await v.kill().catch(() => {});
      await v.flush().catch(() => {});
    }
  }
}
await driver.close();
await removeCgroupParent(undefined, parent);
