// Launch benchmark: a head schedules a queue over N in-memory hosts (real
// mesh code over the memory transport, msgpack frames, zod checks, fake VM
// driver) and every host launches its share. Prints the time of one
// `vm launch` (stats from every host, plan, parallel launches, rows).
//   pnpm exec tsx --conditions=source packages/namespace/bench/launch.ts
// (`--conditions=source` runs the packages' sources; without it, their built dist/)
// Wall time depends on the machine's load; CPU time (user+sys of this process,
// the fs thread pool included) barely does.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryNetwork, createMesh, type Mesh } from '@mm/meshage';
import { createFakeDriver, createLocalVmHost, defaultVmConfig, type LocalVmHost } from '@mm/qemu';
import {
  createLauncher,
  createRemoteVmHost,
  createVmCluster,
  LAUNCH_STATE,
  Namespace,
  schedulerPlanner,
  serveVmHost,
} from '../src/index.js';

interface Figure {
  /** wall time of the launch, ms */
  ms: number;
  /** CPU time (user + system) of this process during it, ms: what load barely changes */
  cpuMs: number;
}

async function run(vms: number, hostCount: number): Promise<Figure> {
  const dir = await mkdtemp(join(tmpdir(), 'mm-ns-bench-'));
  const net = createMemoryNetwork();
  const names = ['head', ...Array.from({ length: hostCount }, (_, i) => `h${i + 1}`)];
  const meshes: Mesh[] = [];
  const hosts: LocalVmHost[] = [];
  for (const name of names) {
    // generous liveness: a busy machine must not make in-process hosts drop each other
    const mesh = await createMesh({ name, transport: net.createTransport(), deadAfterMs: 30_000 });
    const host = createLocalVmHost({
      hostname: name,
      drivers: { kvm: createFakeDriver() },
      baseDir: join(dir, name),
      filesDir: join(dir, name, 'files'),
      vncHost: false,
    });
    serveVmHost(mesh, host);
    meshes.push(mesh);
    hosts.push(host);
  }
  for (const m of meshes.slice(1)) await m.dial(meshes[0]!.address);
  while (!meshes.every((m) => m.nodes().length === names.length)) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const head = meshes[0]!;
  const cluster = createVmCluster({
    hostname: 'head',
    local: hosts[0]!,
    remote: (h) => createRemoteVmHost({ mesh: () => head, host: h }),
  });
  const launcher = createLauncher({ cluster, planner: schedulerPlanner() });
  const ns = new Namespace('bench', names.slice(1));
  ns.slot(LAUNCH_STATE).queueing = true;
  const config = { ...defaultVmConfig(), memory: 64 };
  launcher.enqueue(ns, { names: Array(vms).fill(''), type: 'kvm', config }, []);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const rows = await launcher.schedule(ns);
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const cpuMs = (c.user + c.system) / 1000;
  const failed = rows.filter((r) => r.error !== '');
  if (failed.length > 0) throw new Error(`launch failed: ${JSON.stringify(failed)}`);
  const placed = rows.reduce((s, r) => s + r.launched, 0);
  if (placed !== vms) throw new Error(`placed ${placed} of ${vms}`);
  await Promise.all(hosts.map((h) => h.close()));
  await Promise.all(meshes.map((m) => m.close()));
  await rm(dir, { recursive: true, force: true });
  return { ms, cpuMs };
}

const targets: Record<string, number> = { '30/3': 400, '150/20': 1000 };
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} on ${cpus().length} CPUs`,
);
for (const [vms, hostCount] of [
  [30, 3],
  [150, 20],
] as const) {
  await run(vms, hostCount); // warm-up (JIT)
  const runs: Figure[] = [];
  for (let i = 0; i < 5; i++) runs.push(await run(vms, hostCount));
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const wall = runs.map((r) => r.ms);
  const target = targets[`${vms}/${hostCount}`]!;
  const ms = med(wall);
  console.log(
    `vm launch of ${vms} queued VMs over ${hostCount} in-memory hosts: median ${ms.toFixed(0)} ms wall ` +
      `(min ${Math.min(...wall).toFixed(0)}, max ${Math.max(...wall).toFixed(0)}), ` +
      `CPU ${med(runs.map((r) => r.cpuMs)).toFixed(0)} ms; target <= ${target} ms: ${ms <= target ? 'met' : 'MISSED'}`,
  );
}
