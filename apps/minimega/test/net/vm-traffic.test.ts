// The whole stack: daemon processes (each in its own network namespace, with
// its embedded OVS) launch tiny guests whose NICs the networking module puts
// on VLANs. A host tap reaches the guests on its VLAN and not the others;
// two daemons joined by a vxlan tunnel share a VLAN; flush, clear and quit
// leave nothing behind.
import { execa } from 'execa';
import { describe, expect } from 'vitest';
import { guestImage } from '#test-support';
import { daemonInNetns, reach } from './daemon-netns.js';
import { realOvsQemu, uniqueName } from './real-support.js';

const real = realOvsQemu;

const boot = (img: { kernel: string; initrd: string }, ip: string) =>
  `vm config qemu-append -kernel ${img.kernel} -initrd ${img.initrd} -append "console=ttyS0 quiet panic=-1 mm.ip=${ip}"`;

describe('VMs on VLANs through the daemon', () => {
  real.test(
    'a host tap reaches the guests on its VLAN only; flush and quit remove every tap',
    async () => {
      const img = await guestImage();
      await using d = await daemonInNetns('mmv');
      await d.run('vm config memory 160');
      await d.run('vm config net LAN,virtio-net-pci');
      await d.run(boot(img, '10.80.0.1/24'));
      await d.run('vm launch kvm a');
      await d.run(boot(img, '10.80.0.2/24'));
      await d.run('vm launch kvm b');
      await d.run('vm config net DMZ,virtio-net-pci');
      await d.run(boot(img, '10.80.0.3/24'));
      await d.run('vm launch kvm c');
      await d.run('vm start all');
      expect(await d.run('.columns name,vlan vm info')).toMatch(/a\s+\| \[LAN \(101\)\]/);
      expect(await d.response('tap create LAN ip 10.80.0.254/24 mm_vth')).toBe('mm_vth');

      const ports = async () =>
        (await execa('ovs-vsctl', ['list-ports', 'mega_bridge'], { env: d.ovsEnv })).stdout;
      expect((await ports()).split('\n')).toHaveLength(4);
      // guests boot under TCG in a few seconds; allow for a busy machine
      expect(await reach(d, '10.80.0.1', 60)).toBe(true);
      expect(await reach(d, '10.80.0.2', 30)).toBe(true);
      expect(await reach(d, '10.80.0.3', 3)).toBe(false);

      await d.run('vm kill all');
      await d.run('vm flush');
      expect(await ports()).toBe('mm_vth');
      await d.run('clear tap');
      expect(await ports()).toBe('');
      expect(await d.quit()).toBe(0);
      const left = (await d.inNs('ip', '-o', 'link', 'show')).stdout;
      expect(left).not.toMatch(/mega_|ovs-netdev|mm_vth/);
    },
    240_000,
  );

  real.test(
    'guests of two daemons share a VLAN over a vxlan tunnel between their bridges',
    async () => {
      const img = await guestImage();
      await using a = await daemonInNetns('mmxa');
      await using b = await daemonInNetns('mmxb');
      // the "physical" link between the two hosts
      const va = uniqueName('mmxv');
      const vb = uniqueName('mmxw');
      await execa('ip', [
        'link',
        'add',
        va,
        'netns',
        a.netns,
        'type',
        'veth',
        'peer',
        vb,
        'netns',
        b.netns,
      ]);
      const hosts = [
        { d: a, veth: va, me: '192.168.252.1', peer: '192.168.252.2', guest: '10.82.0.1/24' },
        { d: b, veth: vb, me: '192.168.252.2', peer: '192.168.252.1', guest: '10.82.0.2/24' },
      ];
      for (const h of hosts) {
        // userspace datapath: the underlay NIC is a port of an OVS bridge holding the host's IP
        await h.d.run(`bridge trunk phy ${h.veth}`);
        await h.d.inNs('ip', 'link', 'set', h.veth, 'up');
        await h.d.inNs('ip', 'addr', 'add', `${h.me}/24`, 'dev', 'phy');
        const tunnel = await h.d.response(`bridge tunnel vxlan mega_bridge ${h.peer} 77`);
        expect(tunnel).toMatch(/^mega_tap\d+$/);
        await h.d.run('vm config memory 160');
        await h.d.run('vm config net 300,virtio-net-pci');
        await h.d.run(boot(img, h.guest));
        await h.d.run('vm launch kvm g');
        await h.d.run('vm start g');
      }
      // a host tap on A's side of the VLAN reaches the guest on B
      await a.run('tap create 300 ip 10.82.0.254/24 mm_xh');
      expect(await reach(a, '10.82.0.2', 60)).toBe(true);
      expect(await reach(a, '10.82.0.1', 30)).toBe(true);
      for (const h of hosts) expect(await h.d.quit()).toBe(0);
    },
    300_000,
  );
  real.test(
    'vm net connect/disconnect/add move a running guest between VLANs',
    async () => {
      const img = await guestImage();
      await using d = await daemonInNetns('mmn');
      const ovs = async (...args: string[]) =>
        (await execa('ovs-vsctl', args, { env: d.ovsEnv })).stdout;
      await d.run('vm config memory 160');
      await d.run('vm config net 100,virtio-net-pci');
      await d.run(boot(img, '10.83.0.1/24'));
      await d.run('vm launch kvm g');
      await d.run('vm start g');
      await d.run('tap create 100 ip 10.83.0.254/24 mm_nh');
      const tap =
        (await d.run('.columns tap .headers false vm info')).match(/mega_tap\d+/)?.[0] ?? '';
      expect(tap).not.toBe('');
      expect(await reach(d, '10.83.0.1', 60)).toBe(true);

      await d.run('vm net connect g 0 200');
      expect(await ovs('get', 'port', tap, 'tag')).toBe('200');
      expect(await reach(d, '10.83.0.1', 2)).toBe(false);
      await d.run('vm net connect g 0 100');
      expect(await reach(d, '10.83.0.1', 10)).toBe(true);

      await d.run('vm net disconnect g 0');
      expect((await ovs('list-ports', 'mega_bridge')).split('\n')).not.toContain(tap);
      expect(await d.run('.columns vlan vm info')).toContain('disconnected');

      await d.run('vm net add g other_br,300,virtio-net-pci');
      expect((await ovs('list-ports', 'other_br')).split('\n')).toHaveLength(1);
      await d.run('vm kill g');
      await d.run('vm flush');
      expect(await ovs('list-ports', 'other_br')).toBe('');
      expect((await d.inNs('ip', '-o', 'link', 'show')).stdout).not.toContain(tap);
    },
    240_000,
  );
});
