// Real containers (root, util-linux, cgroups): 20 launched, started, one
// frozen and thawed, killed and flushed with nothing left behind; init exits;
// the memory limit; volumes, fifos and the console; two containers on one
// VLAN ping each other, on two VLANs they cannot (@mm/qemu is a leaf and
// this kernel has no Linux bridge: a tc-mirred hub per VLAN in a private
// netns stands in for the switch; the app's tests use OVS).
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect } from 'vitest';
import { containerFs, containersMissing, realComponent, tempDir, uniqueName } from '#test-support';
import {
  type ContainerProcess,
  createContainerDriver,
  createVeth,
  defaultVmConfig,
  deleteVeth,
  KvmVm,
  type KvmVmOptions,
  type NicAttacher,
  removeCgroupParent,
  type VmConfig,
} from '../src/index.js';

const real = realComponent('containers', containersMissing);

const CG = '/sys/fs/cgroup';
const parent = uniqueName('mmct');
let rootfs = '';
let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
const vms: KvmVm[] = [];
// the driver under test, wrapped to see each VM's current process
const driver = createContainerDriver({ cgroupParent: parent, consoleHost: false });
const procs = new Map<number, ContainerProcess>();
const tracked = {
  ...driver,
  async start(o: Parameters<typeof driver.start>[0]) {
    const p = await driver.start(o);
    procs.set(o.id, p);
    return p;
  },
};
const proc = (vm: KvmVm) => procs.get(vm.id) as ContainerProcess;
let nextId = 1;

beforeAll(async () => {
  if (!real.ok) return;
  rootfs = (await containerFs()).dir;
  dir = await tempDir('mm-ct-');
}, 120_000);

afterEach(async () => {
  // also on failure: every container killed and flushed
  for (const vm of vms.splice(0)) {
    await vm.kill().catch(() => {});
    await vm.flush().catch(() => {});
  }
});

afterAll(async () => {
  await driver.close();
  await removeCgroupParent(CG, parent);
  await dir?.[Symbol.asyncDispose]();
});

function make(tweak: (c: VmConfig) => void = () => {}, extra: Partial<KvmVmOptions> = {}) {
  const id = nextId++;
  const config = defaultVmConfig();
  config.filesystem = rootfs;
  config.memory = 64;
  config.uuid = `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`;
  tweak(config);
  const vm = new KvmVm({
    id,
    name: `ct${id}`,
    namespace: 'test',
    host: 'h',
    type: 'container',
    config,
    baseDir: dir?.path ?? '/nonexistent',
    filesDir: dir?.path ?? '/nonexistent',
    driver: tracked,
    vncHost: false,
    ...extra,
  });
  vms.push(vm);
  return vm;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(what: string, fn: () => boolean | Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function mountsUnder(path: string): Promise<string[]> {
  return (await readFile('/proc/self/mounts', 'utf8')).split('\n').filter((l) => l.includes(path));
}

describe('container lifecycle', () => {
  real.test(
    '20 containers: launch, start, stop one (frozen), start it, kill, flush: nothing left',
    async () => {
      const group = Array.from({ length: 20 }, () => make());
      const errs = await Promise.all(group.map((v) => v.launch()));
      expect(errs.filter(Boolean)).toEqual([]);
      expect(group.map((v) => v.state)).toEqual(group.map(() => 'BUILDING'));
      await Promise.all(group.map((v) => v.start({ wild: false })));
      expect(new Set(group.map((v) => v.state))).toEqual(new Set(['RUNNING']));
      const pids = (await Promise.all(group.map((v) => proc(v).pids()))).flat();
      expect(pids.length).toBeGreaterThanOrEqual(20);
      const cgroups = group.flatMap((v) => proc(v).cgroupDirs);

      const one = group[3] as KvmVm;
      const freezer = proc(one).cgroupDirs.find((d) => d.includes('/freezer/')) as string;
      expect(await one.stop()).toBe(true);
      expect(one.state).toBe('PAUSED');
      expect((await readFile(join(freezer, 'freezer.state'), 'utf8')).trim()).toBe('FROZEN');
      const frozen = await proc(one).pids();
      expect(frozen.length).toBeGreaterThan(0);
      expect(await one.start({ wild: false })).toBe(true);
      expect((await readFile(join(freezer, 'freezer.state'), 'utf8')).trim()).toBe('THAWED');

      await Promise.all(group.map((v) => v.kill()));
      expect(new Set(group.map((v) => v.state))).toEqual(new Set(['QUIT']));
      for (const pid of pids) expect(alive(pid), `pid ${pid}`).toBe(false);
      for (const d of cgroups) expect(existsSync(d), d).toBe(false);
      await Promise.all(group.map((v) => v.flush()));
      expect(await mountsUnder(dir?.path as string)).toEqual([]);
      for (const v of group) expect(existsSync(v.instanceDir)).toBe(false);
    },
    120_000,
  );

  real.test(
    'init exiting 0 gives QUIT, non-zero ERROR with the status; start relaunches',
    async () => {
      const ok = make((c) => (c.init = ['/bin/sh', '-c', 'exit 0']));
      const bad = make((c) => (c.init = ['/bin/sh', '-c', 'exit 3']));
      expect(await ok.launch()).toBe('');
      expect(await bad.launch()).toBe('');
      await ok.start({ wild: false });
      await bad.start({ wild: false });
      await until('exits', () => ok.state === 'QUIT' && bad.state === 'ERROR');
      expect(bad.tags.error).toBe('killed container: exit status 3');
      // a wild start skips QUIT/ERROR; an explicit one relaunches
      expect(await ok.start({ wild: true })).toBe(false);
      const loop = make((c) => (c.init = ['/init']));
      await loop.launch();
      await loop.kill();
      expect(loop.state).toBe('QUIT');
      expect(await loop.start({ wild: false })).toBe(true);
      expect(loop.state).toBe('RUNNING');
    },
    60_000,
  );

  real.test(
    'memory limit: init allocating past it is killed, the container goes to ERROR',
    async () => {
      const vm = make((c) => {
        c.memory = 16;
        c.init = ['/bin/sh', '-c', 'x=$(head -c 100000000 /dev/zero | tr "\\0" a); sleep 1000'];
      });
      expect(await vm.launch()).toBe('');
      await vm.start({ wild: false });
      await until('the OOM kill', () => vm.state === 'ERROR', 30_000);
      expect(vm.tags.error).toMatch(/^killed container: .*\(memory limit hit\)$/);
    },
    60_000,
  );

  real.test(
    'volumes, fifos, hostname and the console',
    async () => {
      await using vol = await tempDir('mm-ct-vol-');
      await writeFile(join(vol.path, 'hello-from-host'), 'x');
      const vm = make((c) => {
        c.hostname = 'box1';
        c.fifos = 1;
        c.volume = { '/scratch': vol.path };
        c.init = [
          '/bin/sh',
          '-c',
          'echo "HOST=$(hostname) PID=$$ LS=$(ls /scratch) PATH=$PATH"; echo via-fifo > /dev/fifos/fifo0; sleep 1000',
        ];
      });
      expect(await vm.launch()).toBe('');
      const fifo = readFile(join(vm.instanceDir, 'fifo0'), 'utf8');
      await vm.start({ wild: false });
      expect(await fifo).toBe('via-fifo\n');
      await until('console output', () => proc(vm).scrollback().includes('HOST='));
      expect(proc(vm).scrollback()).toContain('HOST=box1 PID=1 LS=hello-from-host PATH=/sbin:/bin');
      // the unix console replays the scrollback to a new client
      const got = await new Promise<string>((resolve, reject) => {
        const s = connect(vm.consolePath as string);
        let buf = '';
        s.on('data', (d) => {
          buf += d.toString();
          if (buf.includes('HOST=')) {
            s.destroy();
            resolve(buf);
          }
        });
        s.on('error', reject);
      });
      expect(got).toContain('HOST=box1');
    },
    60_000,
  );

  real.test(
    'preinit runs as host root inside the container namespaces, before init',
    async () => {
      await using tmp = await tempDir('mm-ct-pre-');
      const script = join(tmp.path, 'preinit.sh');
      const out = join(tmp.path, 'out');
      // argv is [preinit, preinit] as in minimega; host fs, container UTS ns
      await writeFile(script, `#!/bin/sh\necho "$(hostname) $#" > ${out}\n`, { mode: 0o755 });
      const vm = make((c) => {
        c.hostname = 'pre1';
        c.preinit = script;
      });
      expect(await vm.launch()).toBe('');
      expect((await readFile(out, 'utf8')).trim()).toBe('pre1 1');
      // a failing preinit fails the launch, saying which step
      const bad = make((c) => (c.preinit = '/bin/false'));
      expect(await bad.launch()).toMatch(/preinit failed/);
      expect(bad.state).toBe('ERROR');
    },
    60_000,
  );

  real.test('a missing filesystem is an ERROR naming it', async () => {
    const vm = make((c) => (c.filesystem = '/nonexistent/rootfs'));
    expect(await vm.launch()).toBe(
      'overlayMount: stat /nonexistent/rootfs: no such file or directory',
    );
    expect(vm.state).toBe('ERROR');
  });
});

describe('container networking', () => {
  const ns = uniqueName('mmctn');
  const br = 'hub';
  beforeAll(async () => {
    if (!real.ok) return;
    await execa('ip', ['netns', 'add', ns]);
  });
  afterAll(async () => {
    await execa('ip', ['netns', 'del', ns], { reject: false });
  });
  let tapSeq = 0;
  const vlans = new Map<number, string[]>();
  const tc = (...a: string[]) => execa('tc', ['-n', ns, ...a], { reject: false });
  // every frame entering a VLAN's tap is copied out of the VLAN's other taps
  const rewire = async (taps: string[]) => {
    for (const t of taps) {
      await tc('qdisc', 'del', 'dev', t, 'ingress');
      const others = taps.filter((o) => o !== t);
      if (others.length === 0) continue;
      await tc('qdisc', 'add', 'dev', t, 'ingress');
      const actions = others.flatMap((o) => ['action', 'mirred', 'egress', 'mirror', 'dev', o]);
      const match = ['protocol', 'all', 'u32', 'match', 'u32', '0', '0'];
      const r = await tc('filter', 'add', 'dev', t, 'parent', 'ffff:', ...match, ...actions);
      if (r.exitCode !== 0) throw new Error(`tc: ${r.stderr}`);
    }
  };
  // the host's NIC side as the app's does it, with the hub for a switch
  const nics: NicAttacher = {
    createTap: async () => {
      throw new Error('containers attach veths');
    },
    async attachVeth(o) {
      const tap = `ctap${tapSeq++}`;
      await createVeth({ tap, peer: o.peer, mac: o.mac, pid: o.pid, hostNetns: ns }, o.signal);
      const taps = [...(vlans.get(o.vlan) ?? []), tap];
      vlans.set(o.vlan, taps);
      await rewire(taps);
      return tap;
    },
    async deleteTap(o) {
      for (const [v, taps] of vlans)
        vlans.set(
          v,
          taps.filter((t) => t !== o.tap),
        );
      await deleteVeth(o.tap, ns);
    },
  };
  const withNic = (ip: string, vlan: number, mac: string) =>
    make(
      (c) => {
        c.networks = [
          {
            bridge: br,
            alias: '',
            vlan,
            mac,
            driver: 'e1000',
            qinq: false,
            tap: '',
            raw: String(vlan),
          },
        ];
        c.init = ['/init', `mm.ip=${ip}/24`];
      },
      { nics },
    );
  const ping = (vm: KvmVm, ip: string) =>
    execa('nsenter', ['-t', String(vm.pid), '-n', 'busybox', 'ping', '-c', '1', '-W', '2', ip], {
      reject: false,
    });

  real.test(
    'two containers on one VLAN ping each other, on two VLANs they cannot',
    async () => {
      const a = withNic('10.9.0.1', 10, '00:11:22:00:00:01');
      const b = withNic('10.9.0.2', 10, '00:11:22:00:00:02');
      const c = withNic('10.9.0.3', 20, '00:11:22:00:00:03');
      for (const vm of [a, b, c]) expect(await vm.launch()).toBe('');
      for (const vm of [a, b, c]) await vm.start({ wild: false });
      for (const vm of [a, b, c])
        await until('init', () => proc(vm).scrollback().includes('MM-CONTAINER-READY'));
      // the MAC is on the container's eth0
      const link = await execa('nsenter', [
        '-t',
        String(a.pid),
        '-n',
        'ip',
        'link',
        'show',
        'eth0',
      ]);
      expect(link.stdout).toContain('00:11:22:00:00:01');
      expect((await ping(a, '10.9.0.2')).exitCode).toBe(0);
      expect((await ping(a, '10.9.0.3')).exitCode).not.toBe(0);
      const taps = [a, b, c].map((v) => v.config.networks[0]?.tap as string);
      for (const vm of [a, b, c]) await vm.kill();
      // the veths are gone with the containers
      const links = (await execa('ip', ['-n', ns, '-o', 'link'])).stdout;
      for (const t of taps) expect(links).not.toContain(`${t}@`);
    },
    60_000,
  );
});
