// Real traffic through the real switch: tiny QEMU guests on taps of a private
// OVS (userspace datapath) in throwaway network namespaces.
import { execa } from 'execa';
import { describe, expect } from 'vitest';
import { createOvsSwitch, type Switch } from '../src/index.js';
import { type Guest, type GuestImagePaths, guestImage, startGuest } from './guest.js';
import { type OvsHost, realOvsQemu, startOvsHost, uniqueName } from './support.js';

const real = realOvsQemu;

const switchOf = (h: OvsHost): Switch =>
  createOvsSwitch({ env: h.ovs.env, netns: h.netns.name, datapath: 'netdev' });

/** Pings until one reply (the first packets may race MAC learning); resolves the exit code. */
const ping = async (g: Guest, ip: string) => (await g.run(`ping -c 3 -W 1 ${ip}`, 30_000)).rc;

async function guests(
  img: GuestImagePaths,
  specs: { host: OvsHost; tap: string; ip: string; name: string; mac: string }[],
): Promise<Guest[]> {
  const settled = await Promise.allSettled(
    specs.map((s) =>
      startGuest({
        ...img,
        netns: s.host.netns.name,
        tap: s.tap,
        ip: s.ip,
        name: s.name,
        mac: s.mac,
      }),
    ),
  );
  const ok = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const bad = settled.find((s) => s.status === 'rejected');
  if (bad) {
    await Promise.all(ok.map((g) => g.close()));
    throw (bad as PromiseRejectedResult).reason;
  }
  return ok;
}

describe('traffic between guests', () => {
  real.test(
    'guests on one VLAN ping each other; on different VLANs they cannot',
    async () => {
      const img = await guestImage();
      await using h = await startOvsHost('mmg');
      const sw = switchOf(h);
      await sw.check();
      await sw.ensureBridge('mmtb');
      await sw.createTaps([
        { bridge: 'mmtb', name: 'mmg_t1', vlan: 10 },
        { bridge: 'mmtb', name: 'mmg_t2', vlan: 10 },
      ]);
      const [g1, g2] = await guests(img, [
        { host: h, tap: 'mmg_t1', ip: '10.77.0.1/24', name: 'g1', mac: '52:54:00:77:00:01' },
        { host: h, tap: 'mmg_t2', ip: '10.77.0.2/24', name: 'g2', mac: '52:54:00:77:00:02' },
      ]);
      try {
        expect(await ping(g1!, '10.77.0.2')).toBe(0);
        // TCP too: guests offload checksums, which the userspace datapath must finish
        await g2!.run('(sleep 600 | nc -l -p 5001 > /tmp/rx &)');
        await g1!.run('sleep 0.5; dd if=/dev/zero bs=1k count=256 2>/dev/null | nc 10.77.0.2 5001');
        const rx = await g2!.run(
          'i=0; while [ $(wc -c < /tmp/rx) -lt 262144 ] && [ $i -lt 100 ]; do usleep 100000; i=$((i+1)); done; wc -c < /tmp/rx',
        );
        expect(rx.out.trim().split(/\s+/).pop()).toBe('262144');
        await sw.connectPort('mmtb', 'mmg_t2', 20);
        expect(await ping(g1!, '10.77.0.2')).not.toBe(0);
        await sw.connectPort('mmtb', 'mmg_t2', 10);
        expect(await ping(g2!, '10.77.0.1')).toBe(0);
      } finally {
        await g1?.close();
        await g2?.close();
      }
    },
    240_000,
  );

  real.test(
    'guests on two hosts share a VLAN over a vxlan tunnel',
    async () => {
      const img = await guestImage();
      await using a = await startOvsHost('mma');
      await using b = await startOvsHost('mmb');
      // the "physical" link between the hosts
      const va = uniqueName('mmva');
      const vb = uniqueName('mmvb');
      await execa('ip', [
        'link',
        'add',
        va,
        'netns',
        a.netns.name,
        'type',
        'veth',
        'peer',
        vb,
        'netns',
        b.netns.name,
      ]);
      const hosts = [
        {
          h: a,
          veth: va,
          under: '192.168.251.1',
          peer: '192.168.251.2',
          tap: 'mmx_ta',
          ip: '10.78.0.1/24',
        },
        {
          h: b,
          veth: vb,
          under: '192.168.251.2',
          peer: '192.168.251.1',
          tap: 'mmx_tb',
          ip: '10.78.0.2/24',
        },
      ];
      for (const x of hosts) {
        const sw = switchOf(x.h);
        await sw.check();
        // userspace tunnelling: the underlay NIC sits on an OVS bridge holding the host's IP
        await sw.ensureBridge('mmphy');
        await sw.addTrunk('mmphy', x.veth);
        await x.h.netns.exec(['ip', 'link', 'set', x.veth, 'up']);
        await sw.addAddress('mmphy', `${x.under}/24`);
        await sw.ensureBridge('mmtb');
        await sw.addTunnel({
          bridge: 'mmtb',
          name: 'mmx_vx',
          type: 'vxlan',
          remoteIp: x.peer,
          key: 99,
        });
        await sw.createTaps([{ bridge: 'mmtb', name: x.tap, vlan: 30 }]);
      }
      const [ga, gb] = await guests(img, [
        { host: a, tap: 'mmx_ta', ip: '10.78.0.1/24', name: 'ga', mac: '52:54:00:78:00:01' },
        { host: b, tap: 'mmx_tb', ip: '10.78.0.2/24', name: 'gb', mac: '52:54:00:78:00:02' },
      ]);
      try {
        expect(await ping(ga!, '10.78.0.2')).toBe(0);
        expect(await ping(gb!, '10.78.0.1')).toBe(0);
      } finally {
        await ga?.close();
        await gb?.close();
      }
    },
    240_000,
  );
});
