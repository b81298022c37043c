// The private mesh against the clear one, on real TCP over loopback: handshake
// time, `mesh send all` latency (small request to every other node), request
// throughput (64 KiB bodies) and stream throughput (256 MiB through
// openStream). The head runs in this process and every host in its own
// process (two processes per link, as deployed: each end has its own core
// for its crypto); the streams are also measured with both ends in this one
// process (one core does both ends' work: `1 process` rows, CPU of both
// ends). Clear and private runs alternate; the median of `rounds` is
// printed. The head's CPU time (user + sys) per send and per MiB is printed
// beside the wall-clock figures (for the stream: of the sending head and of
// the receiving h1): load on the machine barely changes it. MODES=private
// runs one mode, ONLY=stream only the stream figures, ONLY=mesh all but the
// stream ones.
// Run: pnpm exec tsx packages/meshage/bench/private.ts [hosts=3] [rounds=3]
import { execFileSync, fork } from 'node:child_process';
import { loadavg } from 'node:os';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { type Mesh, recycleStreamChunk } from '../src/index.js';
import { Echo, echoNode } from './echo-node.js';

const self = fileURLToPath(import.meta.url);

const node = (name: string, keyed: boolean) => echoNode(name, keyed, 10_000);

if (process.argv[2] === 'serve') {
  const m = await node(process.argv[3] as string, process.argv[4] === 'private');
  process.send?.({ address: m.address });
  // the parent asks for this process's CPU time (user + sys, µs) around a measurement
  process.on('message', () => {
    const c = process.cpuUsage();
    process.send?.({ cpu: c.user + c.system });
  });
  process.on('disconnect', () => void m.close().then(() => process.exit(0)));
} else {
  const hosts = Number(process.argv[2] ?? 3);
  const rounds = Number(process.argv[3] ?? 3);
  const results: Record<string, Record<string, number[]>> = { clear: {}, private: {} };
  const record = (mode: string, what: string, v: number) => {
    const r = results[mode] as Record<string, number[]>;
    r[what] = [...(r[what] ?? []), v];
  };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const pct = (xs: number[], p: number) =>
    [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? 0;

  for (let round = 0; round < rounds; round++) {
    for (const mode of (process.env.MODES ?? 'clear,private').split(',') as (
      | 'clear'
      | 'private'
    )[]) {
      const children = Array.from({ length: hosts }, (_, i) =>
        fork(self, ['serve', `h${i + 1}`, mode], { stdio: 'inherit' }),
      );
      const addrs = await Promise.all(
        children.map(
          (c) =>
            new Promise<string>((r) =>
              c.once('message', (m) => r((m as { address: string }).address)),
            ),
        ),
      );
      const head = await node('head', mode === 'private');
      const only = process.env.ONLY;
      if (only !== 'stream') {
        // handshake: dial + hangup, 60 times to the first host. dial()
        // resolves once the head holds the link (private: the TLS handshake
        // may still be under way); the second figure adds a first request's
        // reply, which needs both ends (h1 admits a private link only after TLS)
        const hs: number[] = [];
        const hsReply: number[] = [];
        for (let i = 0; i < 60; i++) {
          const t = performance.now();
          await head.dial(addrs[0] as string);
          hs.push(performance.now() - t);
          await head.send(['h1'], Echo, i);
          hsReply.push(performance.now() - t);
          head.hangup('h1');
          while (head.peers().length > 0) await new Promise((r) => setTimeout(r, 1));
        }
        record(mode, 'handshake ms (median)', median(hs));
        record(mode, 'handshake + first reply ms (median)', median(hsReply));
        for (const a of addrs) await head.dial(a);
        while (head.size() < hosts + 1) await new Promise((r) => setTimeout(r, 5));
        // mesh send all: small body, sequential
        for (let i = 0; i < 300; i++) await head.broadcast(Echo, { i });
        const lat: number[] = [];
        const sendCpu0 = process.cpuUsage();
        for (let i = 0; i < 2000; i++) {
          const t = performance.now();
          await head.broadcast(Echo, { cmd: 'host name', i });
          lat.push(performance.now() - t);
        }
        const sendCpu = process.cpuUsage(sendCpu0);
        // the head's CPU per send (load barely changes it, unlike the latency)
        record(mode, `send all head CPU µs per send`, (sendCpu.user + sendCpu.system) / 2000);
        record(mode, `send all (${hosts} hosts) ms median`, median(lat));
        record(mode, `send all (${hosts} hosts) ms p99`, pct(lat, 0.99));
        // request throughput: 64 KiB bodies to h1, 16 in flight, 2 s
        const body = Buffer.alloc(64 * 1024, 1);
        let bytes = 0;
        const end = performance.now() + 2000;
        const t0 = performance.now();
        const cpu0 = process.cpuUsage();
        const faults0 = process.resourceUsage().minorPageFault;
        await Promise.all(
          Array.from({ length: 16 }, async () => {
            while (performance.now() < end) {
              await head.send(['h1'], Echo, body);
              bytes += body.length * 2;
            }
          }),
        );
        record(
          mode,
          'requests MiB/s (64 KiB, both ways)',
          bytes / 2 ** 20 / ((performance.now() - t0) / 1000),
        );
        const cpu = process.cpuUsage(cpu0);
        record(
          mode,
          'requests head page faults per MiB',
          (process.resourceUsage().minorPageFault - faults0) / (bytes / 2 ** 20),
        );
        // CPU time load barely changes: the head's user+sys per MiB moved
        record(
          mode,
          'requests head CPU ms per MiB',
          (cpu.user + cpu.system) / 1000 / (bytes / 2 ** 20),
        );
      } else {
        for (const a of addrs) await head.dial(a);
        while (head.size() < hosts + 1) await new Promise((r) => setTimeout(r, 5));
      }
      // stream throughput: 256 MiB to h1's sink (the opener sends), then
      // 256 MiB from h1's source (the opener receives, as iomeshage does)
      const sink = children[0] as (typeof children)[number];
      const sinkCpu = () =>
        new Promise<number>((r) => {
          sink.once('message', (m) => r((m as { cpu: number }).cpu));
          sink.send('cpu');
        });
      const total = 256 * 2 ** 20;
      const streamed = async (label: string, move: () => Promise<void>) => {
        const sinkCpu0 = await sinkCpu();
        const cpu0 = process.cpuUsage();
        const ts = performance.now();
        await move();
        record(
          mode,
          `stream ${label} MiB/s (256 MiB)`,
          total / 2 ** 20 / ((performance.now() - ts) / 1000),
        );
        const cpu = process.cpuUsage(cpu0);
        const h1 = ((await sinkCpu()) - sinkCpu0) / 1000 / 256;
        record(mode, `stream ${label} head CPU ms per MiB`, (cpu.user + cpu.system) / 1000 / 256);
        record(mode, `stream ${label} h1 CPU ms per MiB`, h1);
      };
      if (only !== 'mesh') {
        await streams();
        await oneProcessStreams();
      }
      await head.close();
      for (const c of children) c.disconnect();
      await Promise.all(children.map((c) => new Promise((r) => c.once('exit', r))));
      /** the same two streams with both ends in this process (one core for both ends' work) */
      async function oneProcessStreams() {
        const a = await node('a', mode === 'private');
        const b = await node('b', mode === 'private');
        await a.dial(b.address);
        while (a.size() < 2) await new Promise((r) => setTimeout(r, 5));
        for (const [label, move] of [
          ['a->b', () => sinkTo(a, 'b')],
          ['b->a', () => sourceFrom(a, 'b')],
        ] as const) {
          const cpu0 = process.cpuUsage();
          const ts = performance.now();
          await move();
          const mibs = total / 2 ** 20 / ((performance.now() - ts) / 1000);
          const cpu = process.cpuUsage(cpu0);
          const dir = label === 'a->b' ? 'opener sends' : 'opener receives';
          record(mode, `stream 1 process, ${dir} MiB/s`, mibs);
          record(
            mode,
            `stream 1 process, ${dir} CPU ms per MiB (both ends)`,
            (cpu.user + cpu.system) / 1000 / 256,
          );
        }
        await a.close();
        await b.close();
      }
      async function streams() {
        await streamed('head->h1', () => sinkTo(head, 'h1'));
        await streamed('h1->head', () => sourceFrom(head, 'h1'));
      }
      /** 256 MiB from `from` to `to`'s sink (the opener sends) */
      async function sinkTo(from: Mesh, to: string) {
        const s: Duplex = await from.openStream(to, 'sink/1');
        const chunk = Buffer.alloc(256 * 1024, 2);
        const done = new Promise<string>((r) => {
          let reply = '';
          s.on('data', (c: Buffer) => (reply += c.toString()));
          s.on('end', () => r(reply));
        });
        for (let sent = 0; sent < total; sent += chunk.length) {
          if (!s.write(chunk)) await new Promise((r) => s.once('drain', r));
        }
        s.end();
        const got = Number(await done);
        if (got !== total) throw new Error(`sink got ${got} of ${total}`);
      }
      /** 256 MiB from `to`'s source to `from` (the opener receives, as iomeshage does) */
      async function sourceFrom(from: Mesh, to: string) {
        const s: Duplex = await from.openStream(to, 'source/1');
        let got = 0;
        const done = new Promise<void>((r) => {
          s.on('data', (c: Buffer) => {
            got += c.length;
            recycleStreamChunk(c);
          });
          s.on('end', () => r());
        });
        s.end(String(total));
        await done;
        if (got !== total) throw new Error(`source sent ${got} of ${total}`);
      }
    }
  }
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    `median of ${rounds} rounds, ${hosts} hosts + head, each its own process, TCP on loopback (\`stream 1 process\` rows: both ends in one process)`,
  );
  console.log(['figure', 'clear', 'private', 'private/clear'].join(' | '));
  for (const what of Object.keys({ ...results.clear, ...results.private })) {
    const c = median(results.clear?.[what] ?? []);
    const p = median(results.private?.[what] ?? []);
    console.log([what, c.toFixed(2), p.toFixed(2), (p / c).toFixed(2)].join(' | '));
  }
  cipherFloor((what) => median(results.clear?.[what] ?? []));
}

/**
 * What the cipher alone costs, from OpenSSL's own `openssl speed` (the CLI,
 * when installed) for the 16 KiB records TLS uses: every private byte is
 * sealed once by its sender and opened once by its receiver, so a side's
 * CPU per MiB is at least its clear figure plus this. Printed with the
 * private/clear ratios that floor allows for the CPU-bound figures above.
 */
function cipherFloor(clear: (what: string) => number): void {
  let out: string;
  try {
    out = execFileSync(
      'openssl',
      ['speed', '-seconds', '1', '-bytes', '16384', '-evp', 'aes-128-gcm'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
  } catch {
    console.log('cipher floor: no openssl CLI here');
    return;
  }
  const k = Number(/AES-128-GCM\s+([\d.]+)k/.exec(out)?.[1]);
  if (!Number.isFinite(k) || k <= 0) return;
  const ms = 2 ** 20 / k; // k: thousands of bytes per second
  const lines = [
    `cipher floor: AES-128-GCM ${((k * 1000) / 2 ** 20).toFixed(0)} MiB/s on one core (openssl speed per CPU second, 16 KiB) = ${ms.toFixed(2)} ms of CPU per MiB sealed or opened`,
  ];
  const req = clear('requests head CPU ms per MiB');
  if (req > 0) {
    lines.push(`  requests head CPU per MiB: private/clear >= ${((req + ms) / req).toFixed(2)}`);
  }
  for (const dir of ['head->h1', 'h1->head']) {
    // the busier side bounds a two-process stream; it must also seal or open every byte
    const side = Math.max(
      clear(`stream ${dir} head CPU ms per MiB`),
      clear(`stream ${dir} h1 CPU ms per MiB`),
    );
    if (side > 0) {
      lines.push(
        `  stream ${dir}, if CPU-bound (one core per side): private/clear MiB/s <= ${(side / (side + ms)).toFixed(2)}`,
      );
    }
  }
  console.log(lines.join('\n'));
}
