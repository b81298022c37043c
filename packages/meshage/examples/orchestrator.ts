// A tiny custom orchestrator embedding @mm/meshage: three workers find each
// other by UDP broadcast on loopback, then one of them runs a job everywhere.
// Run: pnpm exec tsx packages/meshage/examples/orchestrator.ts
import { hostname, loadavg } from 'node:os';
import { z } from 'zod';
import { createMesh, createTcpTransport, defineKind, type Mesh } from '../src/index.js';

// A typed message kind: request and response are validated on arrival.
const Load = defineKind('orchestrator.load', {
  request: z.object({ reason: z.string() }),
  response: z.object({ worker: z.string(), host: z.string(), load: z.number() }),
});

export async function main(port = 9700, context = `demo-${process.pid}`): Promise<string[]> {
  const workers: Mesh[] = [];
  for (const name of ['w1', 'w2', 'w3']) {
    const transport = createTcpTransport({
      host: '127.0.0.1',
      port: 0,
      discoveryPort: port,
      broadcast: ['127.255.255.255'],
    });
    const mesh = await createMesh({ name, transport, context, degree: 2 });
    mesh.handle(Load, () => ({ worker: name, host: hostname(), load: loadavg()[0] ?? 0 }));
    workers.push(mesh);
  }
  const [boss] = workers as [Mesh];
  while (boss.nodes().length < 3) await new Promise((r) => setTimeout(r, 20));
  const rows = await boss.broadcast(Load, { reason: 'report' }, { timeout: 5000 });
  const lines = rows.map((r) =>
    r.ok ? `${r.host}: load ${r.value.load.toFixed(2)}` : `${r.host}: ${r.error.code}`,
  );
  await Promise.all(workers.map((w) => w.close()));
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of await main()) console.log(line);
}
