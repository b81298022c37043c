// N in-memory mesh nodes, each with its own files directory and iomeshage.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryNetwork, createMesh, type Mesh } from '@mm/meshage';
import { createIomeshage, type Iomeshage, type IomeshOptions } from '../src/index.js';

export interface Node {
  name: string;
  mesh: Mesh;
  io: Iomeshage;
  dir: string;
}

export interface Swarm extends AsyncDisposable {
  nodes: Node[];
  /** stop node i as a crash would: streams cut, mesh node closed */
  kill(i: number): Promise<void>;
}

export async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function startSwarm(
  n: number,
  opts:
    | Partial<Omit<IomeshOptions, 'mesh' | 'dir'>>
    | ((i: number) => Partial<Omit<IomeshOptions, 'mesh' | 'dir'>>) = {},
): Promise<Swarm> {
  const root = await mkdtemp(join(tmpdir(), 'mm-iomesh-'));
  const net = createMemoryNetwork({ latencyMs: 0 });
  const meshes = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      createMesh({
        name: `n${i}`,
        transport: net.createTransport(`a${i}`),
        degree: Math.min(3, n - 1),
      }),
    ),
  );
  await until('mesh convergence', () => meshes.every((m) => m.size() === n), 30_000);
  const nodes: Node[] = [];
  for (const [i, mesh] of meshes.entries()) {
    const dir = join(root, mesh.name);
    const o = typeof opts === 'function' ? opts(i) : opts;
    const io = await createIomeshage({ mesh, dir, ...o });
    nodes.push({ name: mesh.name, mesh, io, dir });
  }
  const dead = new Set<number>();
  const close = async () => {
    await Promise.all(nodes.map((x, i) => (dead.has(i) ? undefined : x.io.close())));
    await Promise.all(meshes.map((m, i) => (dead.has(i) ? undefined : m.close())));
    await rm(root, { recursive: true, force: true });
  };
  return {
    nodes,
    async kill(i) {
      dead.add(i);
      const x = nodes[i] as Node;
      // the mesh node goes first (its streams reset at once), as when the process dies
      await x.mesh.close();
      await x.io.close();
    },
    [Symbol.asyncDispose]: close,
  };
}
