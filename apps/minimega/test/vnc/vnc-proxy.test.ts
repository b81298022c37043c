// The daemon's VNC proxy: RFB-aware input filtering, the local path to a
// VM's socket, the relay to another host over a mesh stream, and the vnc
// record/play commands on a daemon with the fake QEMU driver.

import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex, PassThrough } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { createFakeDriver } from '@mm/qemu';
import { describe, expect, test } from 'vitest';
import { dialVnc } from '../../src/client/vnc.js';
import { namespaceModule } from '../../src/commands/namespace/index.js';
import { createVmModule } from '../../src/commands/vm/index.js';
import { vncModule } from '../../src/commands/vnc/index.js';
import { VncProxy } from '../../src/commands/vnc/proxy.js';
import { RfbClientParser } from '../../src/commands/vnc/rfb-input.js';
import { createDaemonCore } from '../../src/daemon/core.js';
import { defaultDaemonFlags } from '../../src/daemon/flags.js';
import { createLogger } from '../../src/log/logger.js';
import { coreRunner } from '../core-runner.js';

const HANDSHAKE = Buffer.concat([Buffer.from('RFB 003.008\n'), Buffer.from([1]), Buffer.from([1])]);
const key = (down: boolean, sym: number) => {
  const b = Buffer.alloc(8);
  b[0] = 4;
  b[1] = down ? 1 : 0;
  b.writeUInt32BE(sym, 4);
  return b;
};
const fbur = Buffer.from([3, 1, 0, 0, 0, 0, 0, 64, 0, 48]);

/** A fake VNC server on a unix socket: the 3.8 handshake (None), then it records what arrives. */
async function fakeVnc(
  path: string,
): Promise<{ received: () => Buffer; server: Server; close(): Promise<void> }> {
  const got: Buffer[] = [];
  const socks = new Set<Socket>();
  const server = createServer((s) => {
    socks.add(s);
    s.on('error', () => {});
    s.write('RFB 003.008\n');
    let stage = 0;
    s.on('data', (d) => {
      got.push(d);
      const all = Buffer.concat(got);
      if (stage === 0 && all.length >= 12) {
        stage = 1;
        s.write(Buffer.from([1, 1]));
      }
      if (stage === 1 && all.length >= 13) {
        stage = 2;
        s.write(Buffer.from([0, 0, 0, 0]));
      }
      if (stage === 2 && all.length >= 14) {
        stage = 3;
        const init = Buffer.alloc(24 + 4);
        init.writeUInt16BE(64, 0);
        init.writeUInt16BE(48, 2);
        init.writeUInt32BE(4, 20);
        init.write('fake', 24);
        s.write(init);
      }
    });
  });
  await new Promise<void>((r) => server.listen(path, r));
  return {
    received: () => Buffer.concat(got),
    server,
    close: () =>
      new Promise<void>((r) => {
        for (const s of socks) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A VM as the vnc module finds it on disk: the namespace alias → instance dir with `name` and `vnc`. */
async function fakeVm(base: string, ns: string, name: string, id: number) {
  const inst = join(base, String(id));
  await mkdir(inst, { recursive: true });
  await writeFile(join(inst, 'name'), name);
  await mkdir(join(base, 'namespaces', ns), { recursive: true });
  await symlink(inst, join(base, 'namespaces', ns, `uuid-${id}`));
  return fakeVnc(join(inst, 'vnc'));
}

const until = async (fn: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

const quiet = { log: () => {} };

describe('RfbClientParser', () => {
  test('frames the handshake and messages across arbitrary chunk boundaries', () => {
    const stream = Buffer.concat([
      HANDSHAKE,
      fbur,
      key(true, 0x61),
      Buffer.from([2, 0, 0, 2, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x21]),
      key(false, 0x61),
    ]);
    for (const size of [1, 3, 7, stream.length]) {
      const p = new RfbClientParser();
      const kinds: string[] = [];
      for (let i = 0; i < stream.length; i += size)
        kinds.push(...p.push(stream.subarray(i, i + size)).map((m) => m.kind));
      expect(kinds).toEqual([
        'handshake',
        'handshake',
        'handshake',
        'FramebufferUpdateRequest',
        'KeyEvent',
        'SetEncodings',
        'KeyEvent',
      ]);
    }
  });

  test('an unknown message type ends the session instead of desyncing', () => {
    const p = new RfbClientParser();
    p.push(HANDSHAKE);
    expect(() => p.push(Buffer.from([99, 0, 0]))).toThrow(/unknown client message type 99/);
  });
});

describe('VncProxy', () => {
  test('local: the RFB stream reaches the VM; a view-only session loses its input', async () => {
    const base = await mkdtemp(join(tmpdir(), 'mm-vnc-'));
    const vnc = await fakeVm(base, 'ns1', 'vm1', 3);
    const inputs: string[] = [];
    const proxy = new VncProxy({
      base,
      hostname: 'h1',
      mesh: () => undefined,
      log: () => {},
      onInput: (_n, _v, m) => inputs.push(m.kind),
    });
    await proxy.listen();
    try {
      for (const viewOnly of [false, true]) {
        const before = vnc.received().length;
        const s = await dialVnc(base, { namespace: 'ns1', vm: 'vm1', viewOnly });
        const first = new Promise<Buffer>((r) => s.once('data', r));
        s.resume();
        const banner = await first;
        expect(banner.toString()).toMatch(/^RFB 003\.008\n/);
        s.write(Buffer.concat([HANDSHAKE, key(true, 0x61), fbur, key(false, 0x61)]));
        await until(() => vnc.received().length - before >= 14 + 10 + (viewOnly ? 0 : 16));
        await new Promise((r) => setTimeout(r, 50));
        const got = vnc.received().subarray(before);
        expect(got.length).toBe(viewOnly ? 14 + 10 : 14 + 26);
        expect(got.includes(key(true, 0x61))).toBe(!viewOnly);
        s.destroy();
      }
      // both sessions' keys were seen (recording sees what viewers tried too)
      expect(inputs.filter((k) => k === 'KeyEvent').length).toBe(4);
      await expect(dialVnc(base, { namespace: 'ns1', vm: 'ghost' })).rejects.toThrow(
        /vm not found: ghost/,
      );
      await expect(dialVnc(base, { namespace: 'other', vm: 'vm1' })).rejects.toThrow(
        /vm not found/,
      );
    } finally {
      await proxy.close();
      await vnc.close();
      await rm(base, { recursive: true, force: true });
    }
  });

  test('remote: a VM on another host is reached over a mesh stream', async () => {
    const headBase = await mkdtemp(join(tmpdir(), 'mm-vnc-head-'));
    const nodeBase = await mkdtemp(join(tmpdir(), 'mm-vnc-node-'));
    const vnc = await fakeVm(nodeBase, 'ns1', 'far', 7);
    const opened: string[] = [];
    const node = new VncProxy({ base: nodeBase, hostname: 'n2', mesh: () => undefined, ...quiet });
    // a fake mesh: openStream hands one end of a duplex pair to the other host's proxy
    const mesh = {
      async openStream(host: string, protocol: string) {
        opened.push(`${host} ${protocol}`);
        const aToB = new PassThrough();
        const bToA = new PassThrough();
        const a = Duplex.from({ readable: bToA, writable: aToB });
        const b = Duplex.from({ readable: aToB, writable: bToA });
        void node.serve(b);
        return a;
      },
    };
    const head = new VncProxy({ base: headBase, hostname: 'h1', mesh: () => mesh, ...quiet });
    await head.listen();
    try {
      const s = await dialVnc(headBase, {
        namespace: 'ns1',
        vm: 'far',
        host: 'n2',
        viewOnly: true,
      });
      const first = new Promise<Buffer>((r) => s.once('data', r));
      s.resume();
      const banner = await first;
      expect(banner.toString()).toBe('RFB 003.008\n');
      expect(opened).toEqual(['n2 vnc/1']);
      s.write(Buffer.concat([HANDSHAKE, key(true, 0x62), fbur]));
      await until(() => vnc.received().length >= 24);
      await new Promise((r) => setTimeout(r, 50));
      // view-only was applied on the VM's host
      expect(vnc.received().includes(key(true, 0x62))).toBe(false);
      s.destroy();
      await expect(dialVnc(headBase, { namespace: 'ns1', vm: 'nope', host: 'n2' })).rejects.toThrow(
        /vm not found: nope/,
      );
    } finally {
      await head.close();
      await vnc.close();
      await rm(headBase, { recursive: true, force: true });
      await rm(nodeBase, { recursive: true, force: true });
    }
  });
});

describe('vnc commands', () => {
  test('record kb captures console input; list; stop; play; duplicates and unknown VMs are errors', async () => {
    const base = await mkdtemp(join(tmpdir(), 'mm-vnc-cmd-'));
    const core = await createDaemonCore({
      flags: defaultDaemonFlags({ base, filepath: join(base, 'files') }),
      log: createLogger({ level: 'fatal', stderr: false }),
      hostname: 'testhost',
      modules: [createVmModule({ driver: () => createFakeDriver() }), namespaceModule, vncModule],
    });
    const { run } = coreRunner(core);
    let vnc: Awaited<ReturnType<typeof fakeVnc>> | undefined;
    try {
      expect((await run('vm launch kvm vm0')).errors).toEqual([]);
      vnc = await fakeVnc(join(base, '0', 'vnc'));
      const kb = join(base, 'vm0.kb');
      expect((await run(`vnc record kb vm0 ${kb}`)).errors).toEqual([]);
      expect((await run(`vnc record kb vm0 ${kb}`)).errors).toEqual([
        'kb recording for vm0 already running',
      ]);
      expect((await run('vnc record kb ghost /tmp/x.kb')).errors[0]).toMatch(/vm not found: ghost/);
      // a console session through the proxy
      const s = await dialVnc(base, { namespace: 'minimega', vm: 'vm0' });
      s.resume();
      s.write(Buffer.concat([HANDSHAKE, key(true, 0x68), key(false, 0x68)]));
      await until(() => vnc!.received().length >= 14 + 16);
      const listed = await run('vnc');
      expect(listed.text).toMatch(/vm0\s+\|\s+record kb\s+\|\s+\S+s\s+\|\s+.*vm0\.kb/);
      expect((await run('vnc stop kb vm0')).errors).toEqual([]);
      s.destroy();
      const lines = (await readFile(kb, 'utf8')).trim().split('\n');
      expect(lines.map((l) => l.replace(/^\d+:/, ''))).toEqual([
        'KeyEvent,true,h',
        'KeyEvent,false,h',
      ]);
      // play it back (and type) into the VM
      const before = vnc.received().length;
      expect((await run(`vnc play vm0 ${kb}`)).errors).toEqual([]);
      await until(() => vnc!.received().length - before >= 14 + 16);
      expect((await run('vnc type vm0 Hi')).errors).toEqual([]);
      expect((await run('vnc stop kb vm0')).errors).toEqual(['kb recording vm0 not found']);
      // fb: a gzip stream, finished on stop (trailer included), while the daemon asks for frames
      const fb = join(base, 'vm0.fb');
      const asked = vnc.received().length;
      expect((await run(`vnc record fb vm0 ${fb}`)).errors).toEqual([]);
      await until(() => vnc!.received().length - asked >= 14 + 20 + 12 + 2 * 10);
      expect((await run('vnc stop fb vm0')).errors).toEqual([]);
      expect(() => gunzipSync(readFileSync(fb))).not.toThrow();
      expect((await run('vnc')).text).not.toMatch(/record kb/);
    } finally {
      await core.shutdown('test');
      await vnc?.close();
      await rm(base, { recursive: true, force: true });
    }
  });
});

describe('vnc listing (minimega tests/vnc)', () => {
  test('recordings are per namespace; a duplicate is an error', async () => {
    const base = await mkdtemp(join(tmpdir(), 'mm-vnc-ns-'));
    const core = await createDaemonCore({
      flags: defaultDaemonFlags({ base, filepath: join(base, 'files') }),
      log: createLogger({ level: 'fatal', stderr: false }),
      hostname: 'testhost',
      modules: [createVmModule({ driver: () => createFakeDriver() }), namespaceModule, vncModule],
    });
    const { transcript } = coreRunner(core);
    const f0 = join(base, 'vm0.kbr');
    const f1 = join(base, 'vm1.kbr');
    try {
      const got = await transcript([
        'namespace ns0',
        'vm launch kvm vm0',
        `vnc record kb vm0 ${f0}`,
        `vnc record kb vm0 ${f0}`,
        '.columns name,type,filename vnc',
        'namespace ns1',
        'vm launch kvm vm1',
        'vnc',
        `vnc record kb vm1 ${f1}`,
        '.columns name,type,filename vnc',
        'vnc stop kb vm1',
        'vnc',
        'namespace ns0',
        '.columns name,type,filename vnc',
        'vnc stop kb vm0',
        'vnc',
      ]);
      expect(got).toBe(
        [
          '## namespace ns0',
          '## vm launch kvm vm0',
          `## vnc record kb vm0 ${f0}`,
          `## vnc record kb vm0 ${f0}`,
          'E: kb recording for vm0 already running',
          '## .columns name,type,filename vnc',
          'name | type      | filename',
          `vm0  | record kb | ${f0}`,
          '## namespace ns1',
          '## vm launch kvm vm1',
          '## vnc',
          `## vnc record kb vm1 ${f1}`,
          '## .columns name,type,filename vnc',
          'name | type      | filename',
          `vm1  | record kb | ${f1}`,
          '## vnc stop kb vm1',
          '## vnc',
          '## namespace ns0',
          '## .columns name,type,filename vnc',
          'name | type      | filename',
          `vm0  | record kb | ${f0}`,
          '## vnc stop kb vm0',
          '## vnc',
          '',
        ].join('\n'),
      );
    } finally {
      await core.shutdown('test');
      await rm(base, { recursive: true, force: true });
    }
  });
});
