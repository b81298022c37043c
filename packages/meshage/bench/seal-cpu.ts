// CPU cost of the private mesh against the clear one: two nodes in this
// process over TCP on loopback; small requests one after another, 64 KiB
// requests (16 in flight) and a 64 MiB stream, clear and private rounds
// alternating. Prints the CPU time (user + sys of the process, i.e. both
// nodes) per round trip and per MiB moved, and minor page faults per MiB
// (fresh buffers the kernel must fault in): load on the machine
// barely changes it, unlike the wall-clock MiB/s printed beside it.
// Run: pnpm exec tsx packages/meshage/bench/seal-cpu.ts [rounds=5]
import { loadavg } from 'node:os';
import type { Duplex } from 'node:stream';
import { Echo, echoNode } from './echo-node.js';

const rounds = Number(process.argv[2] ?? 5);

const node = (name: string, keyed: boolean) => echoNode(name, keyed, 30_000);

async function measure(
  label: string,
  fn: () => Promise<number>,
): Promise<[number, number, number]> {
  const f0 = process.resourceUsage().minorPageFault;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const bytes = await fn();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const mib = bytes / 2 ** 20;
  void label;
  const faults = process.resourceUsage().minorPageFault - f0;
  return [(c.user + c.system) / 1000 / mib, mib / wall, faults / mib];
}

const figures: Record<string, number[]> = {};
const add = (k: string, v: number) => {
  figures[k] = [...(figures[k] ?? []), v];
};
const load0 = loadavg()[0] ?? 0;
for (let r = 0; r < rounds; r++) {
  for (const mode of (process.env.MODES ?? 'clear,private').split(',') as ('clear' | 'private')[]) {
    const a = await node('a', mode === 'private');
    const b = await node('b', mode === 'private');
    await a.dial(b.address);
    while (a.size() < 2) await new Promise((res) => setTimeout(res, 5));
    const body = Buffer.alloc(64 * 1024, 1);
    for (let i = 0; i < 50; i++) await a.send(['b'], Echo, body); // warm up
    const [reqCpu, reqRate, reqFaults] = await measure('requests', async () => {
      let bytes = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          for (let i = 0; i < 64; i++) {
            await a.send(['b'], Echo, body);
            bytes += body.length * 2;
          }
        }),
      );
      return bytes;
    });
    add(`${mode} requests CPU ms/MiB`, reqCpu);
    add(`${mode} requests MiB/s`, reqRate);
    add(`${mode} requests page faults/MiB`, reqFaults);
    // small requests one after another (what `mesh send` does): CPU per round trip
    const small0 = process.cpuUsage();
    for (let i = 0; i < 3000; i++) await a.send(['b'], Echo, { cmd: 'host name', i });
    const small = process.cpuUsage(small0);
    add(`${mode} small request CPU µs/round trip`, (small.user + small.system) / 3000);
    const [stCpu, stRate, stFaults] = await measure('stream', async () => {
      const s: Duplex = await a.openStream('b', 'sink/1');
      const chunk = Buffer.alloc(256 * 1024, 2);
      const total = 64 * 2 ** 20;
      const done = new Promise<void>((res) => {
        s.on('data', () => {});
        s.on('end', () => res());
      });
      for (let sent = 0; sent < total; sent += chunk.length) {
        if (!s.write(chunk)) await new Promise((res) => s.once('drain', res));
      }
      s.end();
      await done;
      return total;
    });
    add(`${mode} stream CPU ms/MiB`, stCpu);
    add(`${mode} stream MiB/s`, stRate);
    add(`${mode} stream page faults/MiB`, stFaults);
    await a.close();
    await b.close();
  }
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;
console.log(
  `median of ${rounds} rounds, two nodes in one process (CPU = both), load average ${load0.toFixed(1)} -> ${(loadavg()[0] ?? 0).toFixed(1)}`,
);
console.log('figure | clear | private | private/clear');
for (const what of [
  'small request CPU µs/round trip',
  'requests CPU ms/MiB',
  'stream CPU ms/MiB',
  'requests page faults/MiB',
  'stream page faults/MiB',
  'requests MiB/s',
  'stream MiB/s',
]) {
  const c = median(figures[`clear ${what}`] ?? []);
  const p = median(figures[`private ${what}`] ?? []);
  console.log([what, c.toFixed(2), p.toFixed(2), (p / c).toFixed(2)].join(' | '));
}
