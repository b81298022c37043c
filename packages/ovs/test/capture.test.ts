import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { hasBinary, realComponent, tempDir } from '#test-support';
import {
  CaptureStartError,
  createCaptures,
  DEFAULT_SNAPLEN,
  type PcapProcess,
  type PcapSpec,
  tcpdumpStarter,
} from '../src/index.js';

function fakeStarter() {
  const started: PcapSpec[] = [];
  const procs: Array<PcapProcess & { end(): void; stopped: boolean }> = [];
  const start = async (spec: PcapSpec) => {
    if (spec.iface === 'missing') throw new CaptureStartError(spec.iface, 'no such device');
    started.push(spec);
    let end = () => {};
    const exited = new Promise<void>((r) => {
      end = r;
    });
    const p = {
      exited,
      stopped: false,
      end,
      async stop() {
        p.stopped = true;
        end();
        await exited;
      },
    };
    procs.push(p);
    return p;
  };
  return { start, started, procs };
}

describe('captures', () => {
  test('per namespace: list, stop one VM, stop all; settings feed new captures', async () => {
    const f = fakeStarter();
    await using c = createCaptures({ start: f.start });
    c.settings('foo').snaplen = 96;
    c.settings('foo').filter = 'icmp';
    await c.captureVm('foo', { name: 'car', index: 0, tap: 'mega_tap0', bridge: 'b' }, '/x/1');
    await c.captureVm('foo', { name: 'car', index: 0, tap: 'mega_tap0', bridge: 'b' }, '/x/2');
    await c.captureVm('foo', { name: 'foo', index: 1, tap: 'mega_tap1', bridge: 'b' }, '/x/3');
    await c.captureVm('bar', { name: 'car', index: 0, tap: 'mega_tap2', bridge: 'b' }, '/x/4');
    expect(f.started[0]).toEqual({ iface: 'mega_tap0', path: '/x/1', snaplen: 96, filter: 'icmp' });
    expect(f.started[3]).toEqual({
      iface: 'mega_tap2',
      path: '/x/4',
      snaplen: DEFAULT_SNAPLEN,
      filter: '',
    });
    expect(c.list('foo').map((r) => `${r.vm}:${r.index} ${r.path}`)).toEqual([
      'car:0 /x/1',
      'car:0 /x/2',
      'foo:1 /x/3',
    ]);
    await c.stopVm('foo', 'car');
    expect(f.procs.map((p) => p.stopped)).toEqual([true, true, false, false]);
    expect(c.list('foo').map((r) => r.vm)).toEqual(['foo']);
    expect(c.list('bar')).toHaveLength(1);
    await c.stopAll('foo');
    expect(c.list('foo')).toEqual([]);
    expect(c.settings('foo')).toEqual({ snaplen: DEFAULT_SNAPLEN, filter: '' });
    expect(c.list('bar')).toHaveLength(1);
  });

  test('a failed start records nothing; a process that ends drops out of the list', async () => {
    const f = fakeStarter();
    await using c = createCaptures({ start: f.start });
    await expect(
      c.captureVm('n', { name: 'v', index: 0, tap: 'missing', bridge: 'b' }, '/p'),
    ).rejects.toMatchObject({ code: 'ERR_CAPTURE_START' });
    expect(c.list('n')).toEqual([]);
    await c.captureVm('n', { name: 'v', index: 0, tap: 't', bridge: 'b' }, '/p');
    f.procs[0]!.end();
    await new Promise((r) => setImmediate(r));
    expect(c.list('n')).toEqual([]);
  });

  test('close stops every capture', async () => {
    const f = fakeStarter();
    const c = createCaptures({ start: f.start });
    await c.captureVm('a', { name: 'v', index: 0, tap: 't', bridge: 'b' }, '/p');
    await c.captureVm('b', { name: 'v', index: 0, tap: 't', bridge: 'b' }, '/p');
    await c.close();
    expect(f.procs.every((p) => p.stopped)).toBe(true);
  });
});

const tcpdump = realComponent('tcpdump', () =>
  hasBinary('tcpdump') ? undefined : 'tcpdump not installed (scripts/install-deps.sh)',
);

describe('tcpdump starter (real)', () => {
  tcpdump.test('writes a pcap file of the interface; stop flushes it', async () => {
    await using dir = await tempDir();
    const path = join(dir.path, 'lo.pcap');
    const start = tcpdumpStarter();
    const p = await start({ iface: 'lo', path, snaplen: 128, filter: 'icmp' });
    await p.stop();
    const bytes = await readFile(path);
    // pcap global header: magic a1b2c3d4 (either byte order), snaplen as asked
    expect([0xa1b2c3d4, 0xd4c3b2a1]).toContain(bytes.readUInt32BE(0));
    const le = bytes.readUInt32BE(0) === 0xd4c3b2a1;
    expect(le ? bytes.readUInt32LE(16) : bytes.readUInt32BE(16)).toBe(128);
  });

  tcpdump.test('an unknown interface is a CaptureStartError naming it', async () => {
    await using dir = await tempDir();
    const start = tcpdumpStarter();
    const err = await start({
      iface: 'mm-no-such-if0',
      path: join(dir.path, 'x.pcap'),
      snaplen: 0,
      filter: '',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaptureStartError);
    expect((err as Error).message).toMatch(/mm-no-such-if0/);
  });
});
