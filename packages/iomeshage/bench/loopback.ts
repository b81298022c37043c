// iomeshage over real TCP on loopback, every node its own process: one
// origin holds a random file, R receivers fetch it at once. Prints wall time
// per receiver (MiB/s), CPU per MiB received (each process's user+sys, which
// a loaded machine barely changes, unlike wall time) and the share of parts
// served by non-origin nodes. No root or namespaces needed.
// Run: pnpm exec tsx packages/iomeshage/bench/loopback.ts [--mib 256] [--receivers 1]
//        [--key] [--rounds 1] [--prof DIR]   (--prof: --cpu-prof of every node into DIR)
//      IOMESH_REFRESH_MS=<ms> sets the receivers' refreshMs
// It runs against the built dist of @mm/meshage: rebuild that after changing meshage.
// CPU per MiB sums every node's user+sys over the transfer (origin included).
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMesh, createTcpTransport } from '@mm/meshage';
import { createIomeshage } from '../src/index.js';

const MiB = 1024 * 1024;
const KEY = Buffer.from('iomeshage bench mesh key, 32 b..');
const self = fileURLToPath(import.meta.url);

type ToChild = { op: 'dial'; addrs: string[] } | { op: 'fetch' } | { op: 'cpu?' } | { op: 'quit' };
type FromChild =
  | { op: 'up'; address: string }
  | { op: 'ready'; size: number }
  | { op: 'done'; secs: number; cpu: number; sys: number; servedBy: Record<string, number> }
  | { op: 'cpu'; cpu: number; sys?: number }
  | { op: 'error'; message: string };

const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const sysNow = () => process.cpuUsage().system / 1e6;

async function child(name: string, dir: string, keyed: boolean, origin: boolean, mib: number) {
  const send = (m: FromChild) => process.send?.(m);
  const mesh = await createMesh({
    name,
    transport: createTcpTransport({ host: '127.0.0.1', port: 0, discoveryPort: false }),
    ...(keyed ? { key: KEY } : {}),
    deadAfterMs: 30_000,
  });
  const refresh = Number(process.env.IOMESH_REFRESH_MS ?? 0);
  const io = await createIomeshage({ mesh, dir, ...(refresh ? { refreshMs: refresh } : {}) });
  if (origin) {
    const h = await open(join(dir, 'bench.img'), 'w');
    for (let off = 0; off < mib * MiB; off += 16 * MiB) await h.write(randomBytes(16 * MiB));
    await h.close();
    await io.list('bench.img', { hashes: true });
  }
  send({ op: 'up', address: mesh.address });
  process.on('message', async (m: ToChild) => {
    try {
      if (m.op === 'dial') {
        for (const a of m.addrs) await mesh.dial(a).catch(() => {});
        while (mesh.size() < m.addrs.length + 1) await new Promise((r) => setTimeout(r, 10));
        send({ op: 'ready', size: mesh.size() });
      } else if (m.op === 'fetch') {
        const c0 = cpuNow();
        const s0 = sysNow();
        const t0 = performance.now();
        let servedBy: Record<string, number> = {};
        await io.fetch('bench.img', { onProgress: (p) => (servedBy = p.servedBy) });
        const secs = (performance.now() - t0) / 1000;
        send({ op: 'done', secs, cpu: cpuNow() - c0, sys: sysNow() - s0, servedBy });
      } else if (m.op === 'cpu?') {
        send({ op: 'cpu', cpu: cpuNow(), sys: sysNow() });
      } else if (m.op === 'quit') {
        send({ op: 'cpu', cpu: cpuNow() });
        await io.close();
        await mesh.close();
        process.exit(0);
      }
    } catch (e) {
      send({ op: 'error', message: (e as Error).message });
    }
  });
}

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? dflt) : dflt;
}

async function main() {
  const mib = Number(arg('mib', '256'));
  const receivers = Number(arg('receivers', '1'));
  const rounds = Number(arg('rounds', '1'));
  const keyed = process.argv.includes('--key');
  const prof = arg('prof', '');
  for (let round = 0; round < rounds; round++) {
    const root = await mkdtemp(join(tmpdir(), 'iomesh-bench-'));
    const names = ['origin', ...Array.from({ length: receivers }, (_, i) => `r${i + 1}`)];
    const kids = names.map((n, i) =>
      fork(
        self,
        ['node', n, join(root, n), keyed ? 'key' : 'clear', String(i === 0), String(mib)],
        {
          stdio: 'inherit',
          execArgv: [
            ...process.execArgv,
            ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []),
          ],
        },
      ),
    );
    const next = (k: (typeof kids)[number], op: FromChild['op']) =>
      new Promise<FromChild>((resolve, reject) => {
        const on = (m: FromChild) => {
          if (m.op === 'error') reject(new Error(m.message));
          else if (m.op === op) {
            k.off('message', on);
            resolve(m);
          }
        };
        k.on('message', on);
      });
    try {
      const ups = await Promise.all(kids.map((k) => next(k, 'up')));
      const addrs = ups.map((u) => (u as { address: string }).address);
      // a chain plus the origin: every receiver dials the origin and the previous receiver
      await Promise.all(
        kids.slice(1).map((k, i) => {
          const r = next(k, 'ready');
          k.send({ op: 'dial', addrs: [addrs[0], ...(i > 0 ? [addrs[i]] : [])] });
          return r;
        }),
      );
      const cpuOf = () =>
        Promise.all(
          kids.map((k) => {
            const c = next(k, 'cpu');
            k.send({ op: 'cpu?' });
            return c as Promise<{ cpu: number; sys: number }>;
          }),
        );
      const cpu0 = await cpuOf();
      const t0 = performance.now();
      const done = await Promise.all(
        kids.slice(1).map((k) => {
          const d = next(k, 'done');
          k.send({ op: 'fetch' });
          return d as Promise<Extract<FromChild, { op: 'done' }>>;
        }),
      );
      const wall = (performance.now() - t0) / 1000;
      const cpu1 = await cpuOf();
      const cpuAll = cpu1.reduce((n, c, i) => n + c.cpu - (cpu0[i]?.cpu ?? 0), 0);
      const sysAll = cpu1.reduce((n, c, i) => n + c.sys - (cpu0[i]?.sys ?? 0), 0);
      const cpuOrigin = (cpu1[0]?.cpu ?? 0) - (cpu0[0]?.cpu ?? 0);
      let total = 0;
      let fromOrigin = 0;
      for (const d of done) {
        for (const [h, n] of Object.entries(d.servedBy)) {
          total += n;
          if (h === 'origin') fromOrigin += n;
        }
      }
      const cpuRecv = done.reduce((n, d) => n + d.cpu, 0);
      console.log(
        `${mib} MiB to ${receivers} receiver(s), ${keyed ? 'keyed' : 'clear'} mesh, loopback TCP`,
      );
      for (const [i, d] of done.entries()) {
        console.log(
          `  r${i + 1}: ${d.secs.toFixed(2)} s  ${(mib / d.secs).toFixed(0)} MiB/s  receiver CPU ${((d.cpu * 1000) / mib).toFixed(1)} ms/MiB (sys ${((d.sys * 1000) / mib).toFixed(1)})`,
        );
      }
      const received = mib * receivers;
      console.log(
        `  all done in ${wall.toFixed(2)} s; ${(mib / wall).toFixed(0)} MiB/s per receiver, ${(received / wall).toFixed(0)} MiB/s aggregate`,
      );
      console.log(
        `  CPU per MiB received (user+sys, every node): ${((cpuAll * 1000) / received).toFixed(1)} ms (sys ${((sysAll * 1000) / received).toFixed(1)}; receivers ${((cpuRecv * 1000) / received).toFixed(1)}, origin ${((cpuOrigin * 1000) / received).toFixed(1)})`,
      );
      console.log(
        `  parts from non-origin nodes: ${total ? ((100 * (total - fromOrigin)) / total).toFixed(0) : '?'}% (${total - fromOrigin} of ${total})`,
      );
      console.log(
        `  SUMMARY ${mib}x${receivers} cpu/MiB ${((cpuAll * 1000) / received).toFixed(2)} wall ${wall.toFixed(2)} non-origin ${total ? ((100 * (total - fromOrigin)) / total).toFixed(0) : '?'}% load ${loadavg()[0]?.toFixed(1)}`,
      );
      console.log(
        `  load average ${loadavg()
          .map((x) => x.toFixed(1))
          .join(' ')} (2 cores shared)`,
      );
      for (const k of kids) k.send({ op: 'quit' });
      // let each node exit on its own (a --cpu-prof profile is written at exit)
      await Promise.all(
        kids.map((k) => (k.exitCode === null ? new Promise((r) => k.once('exit', r)) : 0)),
      );
    } finally {
      for (const k of kids) if (k.exitCode === null) k.kill();
      await rm(root, { recursive: true, force: true });
    }
  }
}

if (process.argv[2] === 'node') {
  const [, , , name, dir, mode, origin, mib] = process.argv;
  await child(name as string, dir as string, mode === 'key', origin === 'true', Number(mib));
} else {
  await main();
}
