// The `mesh` commands on in-process daemons linked over loopback TCP (no
// root needed; discovery is off: degree 0 and a loopback broadcast address).

import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Batch } from '@mm/cli-grammar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meshModule, meshService } from '../src/commands/mesh/index.js';
import type { DaemonFlags } from '../src/context.js';
import type { DaemonCore } from '../src/daemon/core.js';
import { defaultDaemonFlags } from '../src/daemon/flags.js';
import { type RunningDaemon, startDaemon } from '../src/daemon/start.js';
import { createLogger } from '../src/log/logger.js';
import { loopbackMeshDaemon } from './helpers.js';

interface Node {
  d: RunningDaemon;
  port: number;
  base: string;
}

async function node(hostname: string, extra: Partial<DaemonFlags> = {}): Promise<Node> {
  const d = await loopbackMeshDaemon(hostname, [meshModule], extra);
  return { d, port: d.port, base: d.base };
}

async function run(core: DaemonCore, line: string): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of core.execute(line, {}, { aliases: false })) out.push(b);
  return out;
}

async function one(core: DaemonCore, line: string) {
  const bs = await run(core, line);
  expect(bs).toHaveLength(1);
  return bs[0] as Batch;
}

const nodes: Node[] = [];
afterAll(async () => {
  for (const n of nodes) {
    await n.d.close(); // also removes its base
  }
});

describe('mesh commands', () => {
  let h1: DaemonCore;
  let h2: DaemonCore;
  let p2 = 0;
  beforeAll(async () => {
    const a = await node('h1');
    const b = await node('h2');
    nodes.push(a, b);
    h1 = a.d.core;
    h2 = b.d.core;
    p2 = b.port;
    const [r] = await one(h1, `mesh dial 127.0.0.1:${p2}`);
    expect(r?.error).toBe('');
    const mesh = meshService(h1)?.node;
    for (let i = 0; i < 200 && mesh?.size() !== 2; i++) await new Promise((x) => setTimeout(x, 10));
  });

  it('mesh status shows size, degree, peers, context and port', async () => {
    const [r] = await one(h1, 'mesh status');
    expect(r?.header).toEqual(['size', 'degree', 'peers', 'context', 'port']);
    expect(r?.tabular).toEqual([['2', '0', '1', `t${process.pid}`, String(nodes[0]?.port)]]);
  });

  it('mesh list: adjacency, all, peers', async () => {
    expect((await one(h1, 'mesh list'))[0]?.response).toBe('h1\n |--h2\nh2\n |--h1\n');
    const all = (await one(h1, 'mesh list all'))[0];
    expect(all?.response).toBe('h[1-2]');
    expect(all?.data).toEqual(['h1', 'h2']);
    expect((await one(h1, 'mesh list peers'))[0]?.response).toBe('h2');
  });

  it('mesh send runs the parsed words remotely and annotates the host', async () => {
    expect(await one(h1, 'mesh send h2 echo "a  b" c')).toEqual([
      { host: 'h2', response: 'a  b c', header: null, tabular: null, error: '' },
    ]);
    const all = await one(h1, 'mesh send all echo hi');
    expect(all.map((r) => [r.host, r.response])).toEqual([['h2', 'hi']]);
    const back = await one(h2, 'mesh send h1 echo back');
    expect(back.map((r) => [r.host, r.response])).toEqual([['h1', 'back']]);
  });

  it('mesh send of a shell over the output cap answers the cap error; both daemons keep answering', async () => {
    const b = await one(h1, 'mesh send h2 shell head -c 100000001 /dev/zero');
    expect(b.map((r) => [r.host, r.error])).toEqual([
      [
        'h2',
        'shell head produced more than 16777216 bytes of output; stopped (raise the limit with -max-output)',
      ],
    ]);
    const big = await one(h1, 'mesh send h2 shell head -c 8000000 /dev/zero');
    expect(big.map((r) => [r.host, r.error, r.response.length])).toEqual([['h2', '', 8_000_000]]);
    expect((await one(h1, 'mesh send h2 echo alive')).map((r) => r.response)).toEqual(['alive']);
  });

  it('unknown hosts and self are error rows, known hosts still answer', async () => {
    const rows = await one(h1, 'mesh send h2,nosuch,h1 echo x');
    expect(rows.map((r) => [r.host, r.response, r.error !== ''])).toEqual([
      ['h2', 'x', false],
      ['nosuch', '', true],
      ['h1', '', true],
    ]);
    expect(rows[2]?.error).toBe('cannot mesh send yourself');
    expect((await one(h1, 'mesh send all,h2 echo'))[0]?.error).toBe(
      'wildcard included amongst list of recipients',
    );
  });

  it('commands refused over meshage', async () => {
    const nested = await one(h1, 'mesh send h2 mesh send h1 echo hi');
    expect(nested[0]).toMatchObject({
      host: 'h2',
      error: 'cannot run `mesh send h1 echo hi` via meshage',
    });
    const read = await one(h1, 'mesh send h2 read /nonexistent');
    expect(read[0]).toMatchObject({
      host: 'h2',
      error: 'cannot run `read /nonexistent` via meshage',
    });
  });

  it('mesh degree and mesh timeout parse like the original', async () => {
    expect((await one(h2, 'mesh degree'))[0]?.response).toBe('0');
    expect((await one(h2, 'mesh degree x'))[0]?.error).toBe(
      'strconv.ParseUint: parsing "x": invalid syntax',
    );
    expect((await one(h2, 'mesh degree 1024'))[0]?.error).toBe(
      'strconv.ParseUint: parsing "1024": value out of range',
    );
    expect((await one(h2, 'mesh timeout'))[0]?.response).toBe('5m0s');
    await one(h2, 'mesh timeout 90');
    expect((await one(h2, 'mesh timeout'))[0]?.response).toBe('1m30s');
    expect((await one(h2, 'mesh timeout x'))[0]?.error).toBe(
      'strconv.Atoi: parsing "x": invalid syntax',
    );
    await one(h2, 'mesh timeout 0');
    expect((await one(h2, 'mesh timeout'))[0]?.response).toBe('unlimited');
  });

  it('mesh dot writes valid Graphviz with quoted names', async () => {
    const file = join(nodes[0]?.base ?? '', 'mesh.dot');
    expect((await one(h1, `mesh dot ${file}`))[0]?.error).toBe('');
    const text = await readFile(file, 'utf8');
    expect(text).toBe(
      'graph "h1" {\nsize="8,11";\noverlap=false;\nLegend [shape=box, shape=plaintext, label="total=2"];\n' +
        '"h1" [style=filled, color=red];\n"h1" -- "h2"\n\n"h2" [style=filled, color=green];\n\n}',
    );
  });

  it('garbage and truncated frames on the mesh port and garbage datagrams never hurt the daemon', async () => {
    const blast = (chunks: Buffer[]) =>
      new Promise<void>((resolve) => {
        const s = connect({ host: '127.0.0.1', port: p2 }, () => {
          for (const c of chunks) s.write(c);
          setTimeout(() => s.destroy(), 5);
        });
        s.on('error', () => resolve());
        s.on('close', () => resolve());
      });
    for (let i = 0; i < 40; i++) await blast([randomBytes(1 + ((i * 37) % 500))]);
    await blast([Buffer.from([0, 0, 0, 50, 0x82, 0xa1])]);
    await blast([Buffer.from([0xff, 0xff, 0xff, 0xff])]);
    const udp = createSocket('udp4');
    for (let i = 0; i < 100; i++) {
      await new Promise<void>((r) => udp.send(randomBytes(i + 1), p2, '127.0.0.1', () => r()));
    }
    udp.close();
    const rows = await one(h1, 'mesh send h2 echo alive');
    expect(rows).toMatchObject([{ host: 'h2', response: 'alive', error: '' }]);
  });

  it('completion offers mesh nodes (and all) for send, direct peers for hangup', async () => {
    expect(await h1.complete('mesh send ')).toEqual(['mesh send all ', 'mesh send h2 ']);
    expect(await h1.complete('mesh hangup ')).toEqual(['mesh hangup h2 ']);
    expect(await h1.complete('mesh hangup x')).toEqual([]);
  });

  it('mesh dial errors and mesh hangup', async () => {
    expect((await one(h1, `mesh dial 127.0.0.1:${p2}`))[0]?.error).toBe('already connected to h2');
    expect((await one(h1, 'mesh hangup nosuch'))[0]?.error).toBe('no such client nosuch');
    expect((await one(h1, `mesh dial 127.0.0.1:${nodes[0]?.port}`))[0]?.error).toBe(
      'cannot mesh dial yourself',
    );
  });
});

describe('mesh key', () => {
  it('daemons with the key link; a daemon without it is refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), `mm-meshkey-t${process.pid}-`));
    const key = join(dir, 'mesh.key');
    await writeFile(key, 'c2VjcmV0IGtleSBmb3IgdGhlIHRlc3QgbWVzaA==\n');
    const k1 = await node('k1', { meshkey: key });
    const k2 = await node('k2', { meshkey: key });
    const open = await node('k3');
    nodes.push(k1, k2, open);
    expect((await one(k1.d.core, `mesh dial 127.0.0.1:${k2.port}`))[0]?.error).toBe('');
    const refused = (await one(open.d.core, `mesh dial 127.0.0.1:${k1.port}`))[0];
    expect(refused?.error).toMatch(/mesh key/);
    const out = (await one(k1.d.core, `mesh dial 127.0.0.1:${open.port}`))[0];
    expect(out?.error).toMatch(/mesh key/);
    expect((await one(open.d.core, 'mesh send k1 echo hi'))[0]?.error).toMatch(/unknown host k1/);
    await rm(dir, { recursive: true, force: true });
  });
});

describe('mesh flags', () => {
  it('a bad -broadcast or an unreadable -meshkey stops the daemon from starting', async () => {
    const base = await mkdtemp(join(tmpdir(), `mm-meshflags-t${process.pid}-`));
    const start = (extra: Record<string, unknown>) =>
      startDaemon({
        flags: defaultDaemonFlags({ base, port: 0, ...extra }),
        log: createLogger({ level: 'fatal', stderr: false }),
        hostname: 'bad',
        modules: [meshModule],
      });
    await expect(start({ broadcast: 'nonsense' })).rejects.toThrow(
      'unable to start meshage: invalid broadcast IP nonsense for meshage',
    );
    await expect(start({ meshkey: join(base, 'missing.key') })).rejects.toThrow(
      /unable to start meshage: cannot read mesh key/,
    );
    await writeFile(join(base, 'short.key'), 'abc\n');
    await expect(start({ meshkey: join(base, 'short.key') })).rejects.toThrow(/too short/);
    await rm(base, { recursive: true, force: true });
  });
});
