// Containers through the whole stack: a daemon process in its own network
// namespace (its embedded OVS there too) launches containers with
// `vm launch container`; their veths sit on OVS VLANs. Two containers on one
// VLAN ping each other and not one on another VLAN; a container and a TCG
// guest on one VLAN ping each other; stop freezes, start thaws; kill, flush
// and quit leave no veth, cgroup or process behind.
import { existsSync, readdirSync } from 'node:fs';
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect } from 'vitest';
import {
  containerFs,
  containersMissing,
  guestImage,
  ovsQemuMissing,
  realComponent,
  tempDir,
} from '#test-support';
import { daemonInNetns, type NetnsDaemon, reachFromPid } from '../net/daemon-netns.js';

const real = realComponent('containers+ovs+qemu', () => containersMissing() ?? ovsQemuMissing());

/** `vm info` rows as name -> column -> value */
async function info(d: NetnsDaemon, cols: string): Promise<Record<string, Record<string, string>>> {
  const out: Record<string, Record<string, string>> = {};
  const lines = (await d.run(`.columns name,${cols} vm info`)).trim().split('\n');
  const head = (lines.shift() ?? '').split('|').map((s) => s.trim());
  for (const l of lines) {
    const cells = l.split('|').map((s) => s.trim());
    const row: Record<string, string> = {};
    head.forEach((h, i) => {
      row[h] = cells[i] ?? '';
    });
    out[row.name ?? ''] = row;
  }
  return out;
}

/** this daemon's container cgroups (v1 freezer) */
function cgroupsOf(pid: number): string[] {
  const dir = '/sys/fs/cgroup/freezer/minimega';
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => n.startsWith(`${pid}-`));
}

describe('vm launch container', () => {
  real.test(
    'VLANs: containers ping on one VLAN, not across two; a container pings a TCG guest; nothing left after',
    async () => {
      const fs = await containerFs();
      const img = await guestImage();
      await using d = await daemonInNetns('mmct');
      await d.run(`vm config filesystem ${fs.dir}`);
      await d.run('vm config memory 64');
      await d.run('vm config net LAN');
      await d.run('vm config init /init mm.ip=10.83.0.1/24');
      await d.run('vm launch container a');
      await d.run('vm config init /init mm.ip=10.83.0.2/24');
      await d.run('vm launch container b');
      await d.run('vm config net DMZ');
      await d.run('vm config init /init mm.ip=10.83.0.3/24');
      await d.run('vm launch container c');
      // a TCG guest on LAN
      await d.run('clear vm config');
      await d.run('vm config memory 160');
      await d.run('vm config net LAN,virtio-net-pci');
      await d.run(
        `vm config qemu-append -kernel ${img.kernel} -initrd ${img.initrd} -append "console=ttyS0 quiet panic=-1 mm.ip=10.83.0.9/24"`,
      );
      await d.run('vm launch kvm g');
      let rows = await info(d, 'state,type,pid,tap,vlan');
      expect(rows.a?.state).toBe('BUILDING');
      expect(rows.a?.type).toBe('container');
      await d.run('vm start all');
      rows = await info(d, 'state,type,pid,tap,vlan,hostname,filesystem,init');
      expect(rows.a?.state).toBe('RUNNING');
      expect(rows.a?.hostname).toBe('a');
      expect(rows.a?.filesystem).toBe(fs.dir);
      const pid = (n: string) => rows[n]?.pid ?? '0';
      const daemonPid = d.proc.pid as number;
      expect(cgroupsOf(daemonPid)).toHaveLength(3);

      expect(await reachFromPid(pid('a'), '10.83.0.2', 20)).toBe(true);
      expect(await reachFromPid(pid('a'), '10.83.0.3', 2)).toBe(false);
      // the guest boots under TCG in a few seconds; allow for a busy machine
      expect(await reachFromPid(pid('b'), '10.83.0.9', 60)).toBe(true);

      // stop freezes every task of the container, start thaws it
      await d.run('vm stop a');
      const frozen = cgroupsOf(daemonPid).map((n) =>
        readFile(join('/sys/fs/cgroup/freezer/minimega', n, 'freezer.state'), 'utf8'),
      );
      expect((await Promise.all(frozen)).map((s) => s.trim()).sort()).toEqual([
        'FROZEN',
        'THAWED',
        'THAWED',
      ]);
      expect((await info(d, 'state')).a?.state).toBe('PAUSED');
      await d.run('vm start a');
      expect((await info(d, 'state')).a?.state).toBe('RUNNING');

      const ports = async () =>
        (await execa('ovs-vsctl', ['list-ports', 'mega_bridge'], { env: d.ovsEnv })).stdout
          .split('\n')
          .filter(Boolean);
      expect(await ports()).toHaveLength(4);
      await d.run('vm kill all');
      // a container loses its veths at kill (the KVM guest keeps its tap until flush)
      expect(await ports()).toHaveLength(1);
      await d.run('vm flush');
      expect(await ports()).toHaveLength(0);
      expect(cgroupsOf(daemonPid)).toEqual([]);
      for (const n of ['a', 'b', 'c']) {
        const p = Number(pid(n));
        expect(existsSync(`/proc/${p}`), `container ${n} pid ${p}`).toBe(false);
      }
      expect(await d.quit()).toBe(0);
      const left = (await d.inNs('ip', '-o', 'link', 'show')).stdout;
      expect(left).not.toMatch(/mega_/);
    },
    300_000,
  );

  real.test(
    'tar: filesystem; tap mirror and qos on container NICs; quit with running containers leaves no process, cgroup or veth',
    async () => {
      const fs = await containerFs();
      await using files = await tempDir('mm-ct-files-');
      await copyFile(fs.tarball, join(files.path, 'minicccfs.tar.gz'));
      await using d = await daemonInNetns('mmcq', ['-filepath', files.path]);
      // untarred once beside the tarball; the value becomes the directory
      await d.run('vm config filesystem tar:minicccfs.tar.gz');
      expect(await d.response('vm config filesystem')).toBe(join(files.path, 'minicccfs'));
      await d.run('vm config net 5');
      await d.run('vm launch container x[1-3]');
      await d.run('vm start x1');
      // container NICs mirror like KVM taps (both on this node and bridge)
      await d.run('tap mirror x1 0 x2 0');
      const mirrors = await execa('ovs-vsctl', ['--columns=name', 'list', 'mirror'], {
        env: d.ovsEnv,
      });
      expect(mirrors.stdout).toMatch(/mirror-mega_tap/);
      await d.run('clear tap mirror x2 0');
      expect(await d.response('clear tap mirror x2 0')).toMatch(/^E: /);
      await d.run('qos add x3 0 rate 10 mbit');
      expect((await info(d, 'qos')).x3?.qos).toMatch(/rate 10mbit/);
      const rows = await info(d, 'pid');
      const daemonPid = d.proc.pid as number;
      expect(cgroupsOf(daemonPid)).toHaveLength(3);
      expect(await d.quit()).toBe(0);
      expect(cgroupsOf(daemonPid)).toEqual([]);
      for (const r of Object.values(rows)) expect(existsSync(`/proc/${r.pid}`)).toBe(false);
      const left = (await d.inNs('ip', '-o', 'link', 'show')).stdout;
      expect(left).not.toMatch(/mega_/);
    },
    120_000,
  );
});
