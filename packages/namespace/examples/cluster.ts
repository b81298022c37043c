// Two in-memory hosts and a head on one mesh, fake QEMU: a namespace's queue
// placed by @mm/scheduler and launched on the hosts over typed mesh calls.
//   pnpm exec tsx packages/namespace/examples/cluster.ts
// Outside this repo import from '@mm/namespace'.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryNetwork, createMesh } from '@mm/meshage';
import { createFakeDriver, createLocalVmHost, defaultVmConfig } from '@mm/qemu';
import {
  createLauncher,
  createRemoteVmHost,
  createVmCluster,
  LAUNCH_STATE,
  Namespace,
  schedulerPlanner,
  serveVmHost,
} from '../src/index.js';

const base = await mkdtemp(join(tmpdir(), 'ns-example-'));
const net = createMemoryNetwork();
const nodes = await Promise.all(
  ['head', 'h1', 'h2'].map(async (name) => {
    const mesh = await createMesh({ name, transport: net.createTransport() });
    const host = createLocalVmHost({
      hostname: name,
      drivers: { kvm: createFakeDriver() },
      baseDir: join(base, name),
      filesDir: join(base, name, 'files'),
      vncHost: false,
    });
    serveVmHost(mesh, host); // other nodes reach this host's VMs over the mesh
    return { mesh, host };
  }),
);
for (const n of nodes.slice(1)) await n.mesh.dial(nodes[0]!.mesh.address);
while (nodes[0]!.mesh.nodes().length < 3) await new Promise((r) => setTimeout(r, 10));

const head = nodes[0]!;
const cluster = createVmCluster({
  hostname: 'head',
  local: head.host,
  remote: (h) => createRemoteVmHost({ mesh: () => head.mesh, host: h }),
});
const launcher = createLauncher({ cluster, planner: schedulerPlanner() });
const ns = new Namespace('lab', ['h1', 'h2']);
ns.slot(LAUNCH_STATE).queueing = true;
launcher.enqueue(ns, { names: ['a', 'b', 'c', 'd'], type: 'kvm', config: defaultVmConfig() }, []);
console.log(await launcher.schedule(ns)); // one row per host: 2 VMs each
const top = await cluster.each(ns.hosts, (h) => h.top({ namespace: 'lab', durationMs: 100 }));
console.log(top.map((r) => [r.host, r.ok && r.value.map((v) => v.name)]));
for (const n of nodes) {
  await n.host.close();
  await n.mesh.close();
}
await rm(base, { recursive: true, force: true });
