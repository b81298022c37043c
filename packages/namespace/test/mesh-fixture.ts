// In-memory meshes of VM hosts for tests and benchmarks: every node serves a
// local VmHost (fake driver) and reaches the others through remote proxies.
import { createMemoryNetwork, createMesh, type Mesh } from '@mm/meshage';
import {
  createFakeDriver,
  createLocalVmHost,
  type LocalVmHost,
  type NicAttacher,
  type VmDriver,
} from '@mm/qemu';
import { tempDir } from '#test-support';
import { createVmCluster, type VmCluster } from '../src/cluster.js';
import { createRemoteVmHost } from '../src/remote-host.js';
import { serveVmHost } from '../src/serve.js';

export interface MeshNode {
  name: string;
  mesh: Mesh;
  host: LocalVmHost;
  cluster: VmCluster;
}

export interface MeshCluster extends AsyncDisposable {
  nodes: MeshNode[];
  byName(name: string): MeshNode;
}

/** `names[0]` dials nobody; every other node dials the first (a star). */
export async function meshCluster(
  names: string[],
  opts: {
    vmlimit?: number;
    timeoutMs?: number;
    /** each node's kvm driver (default: a fake) */
    driver?: (node: string) => VmDriver;
    launchParallelism?: number;
    nics?: (host: string) => NicAttacher;
    /** told of each namespace a node serves a call in (serveVmHost onNamespace) */
    onNamespace?: (host: string, namespace: string) => unknown;
  } = {},
): Promise<MeshCluster> {
  const net = createMemoryNetwork();
  const dir = await tempDir('mm-ns-mesh-');
  const nodes: MeshNode[] = [];
  for (const name of names) {
    // generous liveness: a busy machine must not make in-process hosts drop each other
    const mesh = await createMesh({ name, transport: net.createTransport(), deadAfterMs: 30_000 });
    const host = createLocalVmHost({
      hostname: name,
      drivers: { kvm: opts.driver?.(name) ?? createFakeDriver() },
      baseDir: `${dir.path}/${name}`,
      filesDir: `${dir.path}/${name}/files`,
      vncHost: false,
      ...(opts.vmlimit ? { vmlimit: opts.vmlimit } : {}),
      ...(opts.nics ? { nics: opts.nics(name) } : {}),
      ...(opts.launchParallelism ? { launchParallelism: opts.launchParallelism } : {}),
    });
    const onNamespace = opts.onNamespace;
    serveVmHost(mesh, host, onNamespace ? { onNamespace: (ns) => onNamespace(name, ns) } : {});
    const cluster = createVmCluster({
      hostname: name,
      local: host,
      remote: (h) =>
        createRemoteVmHost({
          mesh: () => mesh,
          host: h,
          ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
        }),
    });
    nodes.push({ name, mesh, host, cluster });
  }
  const first = nodes[0]!;
  for (const n of nodes.slice(1)) await n.mesh.dial(first.mesh.address);
  const deadline = Date.now() + 10_000;
  while (!nodes.every((n) => n.mesh.nodes().length === nodes.length)) {
    if (Date.now() > deadline) throw new Error('mesh did not converge');
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    nodes,
    byName: (n) => {
      const x = nodes.find((y) => y.name === n);
      if (!x) throw new Error(`no node ${n}`);
      return x;
    },
    async [Symbol.asyncDispose]() {
      await Promise.all(nodes.map((n) => n.host.close()));
      await Promise.all(nodes.map((n) => n.mesh.close()));
      await dir[Symbol.asyncDispose]();
    },
  };
}
