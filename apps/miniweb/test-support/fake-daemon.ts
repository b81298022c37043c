// A fake minimega daemon for miniweb's tests and benchmarks: the control
// socket `<base>/minimega` answering the handful of commands miniweb sends
// (canned, per namespace, VMs on several hosts), and the VNC proxy socket
// `<base>/vnc.sock` serving a fake RFB session per VM.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { type FakeRfbOptions, type RfbLogEntry, serveFakeRfb } from './fake-rfb.js';

export interface FakeVm {
  name: string;
  namespace: string;
  host: string;
  id: number;
  state: string;
  vcpus?: number;
  memory?: number;
  vlans?: string[];
  tags?: Record<string, string>;
}

export interface FakeDaemon {
  base: string;
  hostname: string;
  vms: FakeVm[];
  /** every command received, namespace prefix included */
  readonly commands: string[];
  /** VNC requests received (the JSON header lines) */
  readonly vncRequests: Record<string, unknown>[];
  /** client messages the fake RFB servers received */
  readonly rfbLog: RfbLogEntry[];
  /** how long `vm screenshot` takes (ms) */
  screenshotDelayMs: number;
  /** the active namespace */
  active: string;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const COLUMNS = [
  'id',
  'name',
  'state',
  'uptime',
  'type',
  'uuid',
  'vlan',
  'ip',
  'ip6',
  'memory',
  'vcpus',
  'vnc_port',
  'tags',
];

/** A valid w×h PNG in one colour. */
export function solidPng(w: number, h: number, rgb: [number, number, number]): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set(rgb, y * (w * 3 + 1) + 1 + x * 3);
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Splits `namespace NS rest` (NS possibly Go-quoted). */
function splitNamespace(cmd: string): { ns: string | undefined; rest: string } {
  const m = /^namespace\s+("(?:[^"\\]|\\.)*"|\S+)\s+(.*)$/s.exec(cmd);
  if (!m) return { ns: undefined, rest: cmd };
  const w = m[1]!;
  return { ns: w.startsWith('"') ? (JSON.parse(w) as string) : w, rest: m[2]! };
}

function unquote(w: string): string {
  return w.startsWith('"') ? (JSON.parse(w) as string) : w;
}

type Resp = {
  Host: string;
  Response: string;
  Header: string[] | null;
  Tabular: string[][] | null;
  Error: string;
  Data: unknown;
};

export async function startFakeDaemon(
  opts: { vms?: FakeVm[]; hostname?: string; peers?: string[]; rfb?: FakeRfbOptions } = {},
): Promise<FakeDaemon> {
  const base = await mkdtemp(join(tmpdir(), 'miniweb-fake-'));
  const hostname = opts.hostname ?? 'head';
  const peers =
    opts.peers ?? [...new Set((opts.vms ?? []).map((v) => v.host))].filter((h) => h !== hostname);
  const conns = new Set<Socket>();
  const png = solidPng(32, 24, [40, 120, 200]);
  const fake: FakeDaemon = {
    base,
    hostname,
    vms: opts.vms ?? [],
    commands: [],
    vncRequests: [],
    rfbLog: [],
    screenshotDelayMs: 0,
    active: 'minimega',
    close,
    [Symbol.asyncDispose]: close,
  };
  const row = (h: string): Resp => ({
    Host: h,
    Response: '',
    Header: null,
    Tabular: null,
    Error: '',
    Data: null,
  });
  const err = (msg: string): Resp[] => [{ ...row(hostname), Error: msg }];

  async function answer(full: string): Promise<Resp[]> {
    fake.commands.push(full);
    const { ns: nsTag, rest } = splitNamespace(full);
    const ns = nsTag ?? fake.active;
    const words = rest.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? [];
    const inNs = fake.vms.filter((v) => v.namespace === ns);
    const find = (n: string) => inNs.find((v) => v.name === unquote(n));
    const [w0, w1, w2] = words;
    if (w0 === 'vm' && w1 === 'info') {
      const hosts = [...new Set([hostname, ...inNs.map((v) => v.host)])];
      return hosts.map((h) => {
        const vms = inNs.filter((v) => v.host === h);
        return {
          ...row(h),
          Header: COLUMNS,
          Tabular: vms.map((v) => [
            String(v.id),
            v.name,
            v.state,
            '1m30s',
            'kvm',
            `uuid-${v.id}`,
            `[${(v.vlans ?? []).join(', ')}]`,
            '[]',
            '[]',
            String(v.memory ?? 512),
            String(v.vcpus ?? 1),
            '0',
            JSON.stringify(v.tags ?? {}),
          ]),
          Data: vms.map((v) => ({ name: v.name, namespace: v.namespace, host: v.host })),
        };
      });
    }
    if (w0 === 'vm' && (w1 === 'start' || w1 === 'stop' || w1 === 'kill' || w1 === 'flush')) {
      const vm = w2 ? find(w2) : undefined;
      if (!vm) return err(`vm not found: ${w2 ? unquote(w2) : ''}`);
      if (w1 === 'start') vm.state = 'RUNNING';
      if (w1 === 'stop') vm.state = 'PAUSED';
      if (w1 === 'kill') vm.state = 'QUIT';
      if (w1 === 'flush') fake.vms = fake.vms.filter((v) => v !== vm);
      return [row(vm.host)];
    }
    if (w0 === 'vm' && w1 === 'screenshot') {
      const vm = w2 ? find(w2) : undefined;
      if (!vm) return err(`vm not found: ${w2 ? unquote(w2) : ''}`);
      if (vm.state !== 'RUNNING' && vm.state !== 'PAUSED') return err(`vm not running: ${vm.id}`);
      if (fake.screenshotDelayMs) await new Promise((r) => setTimeout(r, fake.screenshotDelayMs));
      return [{ ...row(vm.host), Data: png.toString('base64') }];
    }
    if (w0 === 'vm' && w1 === 'config') return [row(hostname)];
    if (w0 === 'vm' && w1 === 'launch') {
      const names = unquote(words[3] ?? '').split(',');
      let id = Math.max(0, ...fake.vms.map((v) => v.id)) + 1;
      for (const n of names) {
        if (find(n)) return err(`vm already exists: ${n}`);
        fake.vms.push({ name: n, namespace: ns, host: hostname, id: id++, state: 'BUILDING' });
      }
      return [row(hostname)];
    }
    const meshSend = /^mesh send (\S+) (.*)$/.exec(rest);
    if (meshSend && rest !== 'mesh send all host') {
      // the peers' rows of the inner command (this fake's `vm info` is already mesh-wide)
      if (peers.length === 0) return err('no meshage peers');
      const inner = await answer(meshSend[2]!);
      fake.commands.pop();
      return meshSend[1] === 'all' ? inner.filter((r) => r.Host !== hostname) : inner;
    }
    if (rest === 'host' || rest === 'mesh send all host') {
      const hs = rest === 'host' ? [hostname] : peers;
      if (hs.length === 0) return err('no meshage peers');
      return hs.map((h) => ({
        ...row(h),
        Header: [
          'name',
          'cpus',
          'load',
          'memused',
          'memtotal',
          'bandwidth',
          'uptime',
          'vms',
          'vmlimit',
          'cpucommit',
          'memcommit',
          'netcommit',
        ],
        Tabular: [
          [
            h,
            '2',
            '0.50 0.40 0.30',
            '1000',
            '24000',
            '0.0/0.0 (rx/tx MB/s)',
            '1h0m0s',
            String(fake.vms.filter((v) => v.host === h).length),
            '0',
            '2',
            '1024',
            '1',
          ],
        ],
      }));
    }
    if (rest === 'mesh list') {
      let text = `${hostname}\n`;
      for (const p of peers) text += ` |--${p}\n`;
      for (const p of peers) text += `${p}\n |--${hostname}\n`;
      return [{ ...row(hostname), Response: text }];
    }
    if (rest === 'vlans') {
      return [
        { ...row(hostname), Header: ['namespace', 'alias', 'vlan'], Tabular: [[ns, 'DMZ', '101']] },
      ];
    }
    if (rest === 'namespace') {
      const names = [...new Set(['minimega', ...fake.vms.map((v) => v.namespace)])].sort();
      return [
        {
          ...row(hostname),
          Header: ['namespace', 'vlans', 'active'],
          Tabular: names.map((n) => [n, '', String(n === fake.active)]),
        },
      ];
    }
    if (rest === 'echo hi') return [{ ...row(hostname), Response: 'hi' }];
    return err(`invalid command: \`${rest}\``);
  }

  const control: Server = createServer((sock) => {
    conns.add(sock);
    sock.on('close', () => conns.delete(sock));
    sock.on('error', () => {});
    let buf = '';
    let chain = Promise.resolve();
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim() === '') continue;
        const req = JSON.parse(line) as { Command: string };
        chain = chain.then(async () => {
          const resp = await answer(req.Command);
          if (!sock.destroyed) {
            sock.write(
              `${JSON.stringify({ Resp: resp, Rendered: '', More: false, Status: false })}\n`,
            );
          }
        });
      }
    });
  });

  const vnc: Server = createServer((sock) => {
    conns.add(sock);
    sock.on('close', () => conns.delete(sock));
    sock.on('error', () => {});
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const nl = buf.indexOf(10);
      if (nl < 0) return;
      sock.off('data', onData);
      const req = JSON.parse(buf.subarray(0, nl).toString()) as {
        namespace: string;
        vm: string;
        viewOnly?: boolean;
      };
      fake.vncRequests.push(req);
      const vm = fake.vms.find((v) => v.namespace === req.namespace && v.name === req.vm);
      if (!vm) {
        sock.end(`${JSON.stringify({ ok: false, error: `vm not found: ${req.vm}` })}\n`);
        return;
      }
      sock.write(`${JSON.stringify({ ok: true, host: vm.host })}\n`);
      const rest = buf.subarray(nl + 1);
      serveFakeRfb(sock, {
        ...opts.rfb,
        onMessage: (e) => {
          fake.rfbLog.push(e);
          opts.rfb?.onMessage?.(e);
        },
      });
      if (rest.length > 0) sock.emit('data', rest);
    };
    sock.on('data', onData);
  });

  await Promise.all([
    new Promise<void>((r) => control.listen(join(base, 'minimega'), r)),
    new Promise<void>((r) => vnc.listen(join(base, 'vnc.sock'), r)),
  ]);

  async function close(): Promise<void> {
    for (const c of conns) c.destroy();
    await Promise.all([
      new Promise<void>((r) => control.close(() => r())),
      new Promise<void>((r) => vnc.close(() => r())),
    ]);
    await rm(base, { recursive: true, force: true });
  }
  return fake;
}
