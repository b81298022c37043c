// Benchmark: a minimega daemon launching 50 KVM VMs on real QEMU (TCG,
// `vm config memory 256`): time to BUILDING, to start, to kill+flush, and the
// daemon's RSS with 0 and 50 VMs. Prints figures; asserts nothing.
//
//   pnpm build && node --import tsx packages/qemu/bench/launch.ts [count]
//
// Uses apps/minimega/dist/main.js when built, else the sources through tsx.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';

const COUNT = Number(process.argv[2] ?? 50);
const root = resolve(import.meta.dirname, '../../..');
const dist = join(root, 'apps/minimega/dist/main.js');

interface WireResponse {
  Error: string;
  Response: string;
  Tabular: string[][] | null;
}

/** A tiny client for the daemon's JSON socket (one command at a time). */
class Client {
  #buf = '';
  #waiters: Array<(v: { Resp: WireResponse[] | null; More: boolean }) => void> = [];
  constructor(private sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.#buf += d;
      let nl = this.#buf.indexOf('\n');
      while (nl >= 0) {
        const line = this.#buf.slice(0, nl).trim();
        this.#buf = this.#buf.slice(nl + 1);
        if (line) this.#waiters.shift()?.(JSON.parse(line));
        nl = this.#buf.indexOf('\n');
      }
    });
  }
  #next() {
    return new Promise<{ Resp: WireResponse[] | null; More: boolean }>((r) =>
      this.#waiters.push(r),
    );
  }
  async run(command: string): Promise<WireResponse[]> {
    const out: WireResponse[] = [];
    const first = this.#next();
    this.sock.write(`${JSON.stringify({ Command: command })}\n`);
    let r = await first;
    for (;;) {
      out.push(...(r.Resp ?? []));
      if (!r.More) break;
      r = await this.#next();
    }
    const errs = out.map((x) => x.Error).filter((e) => e);
    if (errs.length) throw new Error(`${command}: ${errs.join('; ')}`);
    return out;
  }
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function timed(label: string, fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  const s = (performance.now() - t0) / 1000;
  console.log(`${label.padEnd(34)} ${s.toFixed(2)} s`);
  return s;
}

const base = await mkdtemp(join(tmpdir(), 'mm-bench-qemu-'));
const useDist = existsSync(dist);
const daemon = execa(
  'node',
  [
    ...(useDist
      ? [dist]
      : ['--conditions=source', '--import', 'tsx', join(root, 'apps/minimega/src/main.ts')]),
    '-base',
    base,
    '-nostdin',
    '-accel',
    'tcg',
    '-port',
    String(20000 + (process.pid % 20000)),
  ],
  { reject: false, stdin: 'ignore', cwd: root },
);
try {
  const sockPath = join(base, 'minimega');
  for (let i = 0; i < 200 && !existsSync(sockPath); i++) await sleep(100);
  const sock = connect(sockPath);
  await new Promise((r, j) => sock.once('connect', r).once('error', j));
  const c = new Client(sock);
  console.log(`daemon: ${useDist ? 'dist' : 'sources (tsx)'}, ${COUNT} VMs, TCG, memory 256`);
  await c.run('vm info');
  await sleep(500);
  const pid = daemon.pid!;
  console.log(`${'daemon RSS, 0 VMs'.padEnd(34)} ${(await rssMb(pid)).toFixed(1)} MB`);
  await c.run('vm config memory 256');
  await timed(`vm launch kvm ${COUNT} (to BUILDING)`, () => c.run(`vm launch kvm ${COUNT}`));
  const states = (await c.run('.columns state vm info'))[0]?.Tabular ?? [];
  console.log(
    `${'VMs BUILDING'.padEnd(34)} ${states.filter((r) => r[0] === 'BUILDING').length}/${COUNT}`,
  );
  console.log(`${`daemon RSS, ${COUNT} VMs`.padEnd(34)} ${(await rssMb(pid)).toFixed(1)} MB`);
  await timed('vm start all', () => c.run('vm start all'));
  await timed('vm kill all + vm flush', async () => {
    await c.run('vm kill all');
    await c.run('vm flush');
  });
  sock.destroy();
} finally {
  daemon.kill('SIGTERM');
  await daemon;
  await rm(base, { recursive: true, force: true });
}
