// 1,000 nodes on the in-memory transport. Each node dials `degree` random
// earlier nodes (UDP-style discovery is N² datagrams per round, which one
// process cannot simulate for 1,000 nodes; it is exercised at 200 nodes in
// test/mesh-scale.test.ts and with real daemons in bench/real-cluster.ts).
// Prints: time from the first dial until every node sees the whole mesh, and
// steady-state control frames per node per second (depends on the number of
// links, not on N). Pass `discover` as third argument to use discovery.
// Run: pnpm exec tsx packages/meshage/bench/memory-convergence.ts [nodes] [degree] [discover]
import { createMemoryNetwork, createMesh, type Mesh } from '../src/index.js';

const N = Number(process.argv[2] ?? 1000);
const degree = Number(process.argv[3] ?? 3);
const net = createMemoryNetwork({ latencyMs: 1, jitterMs: 4 });
const discover = process.argv[4] === 'discover';
const nodes: Mesh[] = await Promise.all(
  Array.from({ length: N }, (_, i) =>
    createMesh({
      name: `n${i}`,
      transport: net.createTransport(`a${i}`),
      degree: discover ? degree : 0,
      solicitMaxMs: 4000,
      // one thread simulates 1,000 nodes: tolerate event-loop stalls a real host would not have
      deadAfterMs: 15_000,
    }),
  ),
);
const t0 = performance.now();
const cpu0 = process.cpuUsage();
if (!discover) {
  const dials: Promise<unknown>[] = [];
  for (let i = 1; i < N; i++) {
    const targets = new Set<number>();
    while (targets.size < Math.min(degree, i)) targets.add(Math.floor(Math.random() * i));
    for (const t of targets) dials.push((nodes[i] as Mesh).dial(`a${t}`).catch(() => {}));
  }
  await Promise.all(dials);
}
// A node that has seen all N is done. Checking costs one route computation
// per node (the simulation's CPU is shared), so each round checks the first
// 50 nodes still waiting and moves on only when they are all complete.
let waiting = [...nodes];
let converge = 0;
for (;;) {
  const head = waiting.slice(0, 50).filter((m) => m.size() !== N);
  waiting = [...head, ...waiting.slice(50)];
  if (head.length === 0 && waiting.length > 0) continue;
  if (waiting.length === 0) {
    converge = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    console.log(`  (cpu during convergence: ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms)`);
    break;
  }
  if (performance.now() - t0 > 60_000) {
    console.log(`not converged after 60 s: ${waiting.length} nodes still incomplete`);
    converge = Number.NaN;
    break;
  }
  await new Promise((r) => setTimeout(r, 100));
}
const peers = nodes.map((m) => m.peers().length);
const total = () =>
  nodes.reduce((acc, m) => {
    const s = m.stats().sent;
    return acc + s.ping + s.lsa + s.hello + s.ready;
  }, 0);
await new Promise((r) => setTimeout(r, 2000)); // let the last announcements settle
const before = total();
const window = 5000;
await new Promise((r) => setTimeout(r, window));
const perNodePerSec = (total() - before) / N / (window / 1000);
console.log(`meshage in-memory: nodes=${N} degree=${degree}`);
console.log(`  convergence (start to full size on every node): ${converge.toFixed(0)} ms`);
console.log(
  `  peers per node: min ${Math.min(...peers)} avg ${(peers.reduce((a, b) => a + b, 0) / N).toFixed(2)} max ${Math.max(...peers)}`,
);
console.log(`  steady-state control frames per node per second: ${perNodePerSec.toFixed(2)}`);
await Promise.all(nodes.map((m) => m.close()));
