// `mesh send all` alone, clear against private, A/B in the same processes:
// every host process runs one node per mode, the head here one per mode,
// and short bursts of sends alternate between the modes, so load from
// other work on the machine falls on every mode alike. Prints per mode the
// head's CPU time (user + sys) per send (median and minimum of the bursts:
// interference only adds) and the median latency.
// Run: pnpm exec tsx packages/meshage/bench/send-all.ts [hosts=3] [bursts=30] [sends=300]
import { fork } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Mesh } from '../src/index.js';
import { Echo, echoNode } from './echo-node.js';

const self = fileURLToPath(import.meta.url);
const MODES = (process.env.MODES ?? 'clear,private').split(',');
/** modes: clear, private, noise (keyed, links on the Noise channel as before TLS links) */
const keyed = (mode: string) => mode !== 'clear';

async function nodes(name: string): Promise<Mesh[]> {
  return Promise.all(MODES.map((mode) => echoNode(name, keyed(mode), 10_000, mode === 'noise')));
}

if (process.argv[2] === 'serve') {
  const ms = await nodes(process.argv[3] as string);
  process.send?.({ addresses: ms.map((m) => m.address) });
  process.on(
    'disconnect',
    () => void Promise.all(ms.map((m) => m.close())).then(() => process.exit(0)),
  );
} else {
  const hosts = Number(process.argv[2] ?? 3);
  const bursts = Number(process.argv[3] ?? 30);
  const sends = Number(process.argv[4] ?? 300);
  const load0 = loadavg()[0] ?? 0;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const children = Array.from({ length: hosts }, (_, i) =>
    fork(self, ['serve', `h${i + 1}`], { stdio: 'inherit' }),
  );
  const addrs = await Promise.all(
    children.map(
      (c) =>
        new Promise<string[]>((ok) =>
          c.once('message', (m) => ok((m as { addresses: string[] }).addresses)),
        ),
    ),
  );
  const heads = await nodes('head');
  for (const [i, head] of heads.entries()) {
    for (const a of addrs) await head.dial(a[i] as string);
    while (head.size() < hosts + 1) await new Promise((ok) => setTimeout(ok, 5));
    for (let k = 0; k < 500; k++) await head.broadcast(Echo, { k });
  }
  const cpu: Record<string, number[]> = {};
  const lat: Record<string, number[]> = {};
  for (let b = 0; b < bursts; b++) {
    for (const [i, mode] of MODES.entries()) {
      const head = heads[i] as Mesh;
      const l: number[] = [];
      const c0 = process.cpuUsage();
      for (let k = 0; k < sends; k++) {
        const t = performance.now();
        await head.broadcast(Echo, { cmd: 'host name', k });
        l.push(performance.now() - t);
      }
      const c = process.cpuUsage(c0);
      cpu[mode] = [...(cpu[mode] ?? []), (c.user + c.system) / sends];
      lat[mode] = [...(lat[mode] ?? []), ...l];
    }
  }
  await Promise.all(heads.map((h) => h.close()));
  for (const c of children) c.disconnect();
  await Promise.all(children.map((c) => new Promise((ok) => c.once('exit', ok))));
  console.log(
    `send all to ${hosts} hosts (each its own process, TCP on loopback), ${bursts} bursts x ${sends} sends per mode, alternating; load ${load0.toFixed(1)} -> ${(loadavg()[0] ?? 0).toFixed(1)}`,
  );
  const base = MODES[0] as string;
  for (const mode of MODES) {
    const cm = median(cpu[mode] ?? []);
    const cmin = Math.min(...(cpu[mode] ?? []));
    const lm = median(lat[mode] ?? []);
    const ratio =
      mode === base
        ? ''
        : ` | /${base}: CPU ${(cm / median(cpu[base] ?? [])).toFixed(2)}x (min ${(cmin / Math.min(...(cpu[base] ?? []))).toFixed(2)}x), latency ${(lm / median(lat[base] ?? [])).toFixed(2)}x`;
    console.log(
      `${mode}: head CPU µs/send median ${cm.toFixed(0)} min ${cmin.toFixed(0)}; latency median ${lm.toFixed(3)} ms${ratio}`,
    );
  }
}
