// The console of a VM on another mesh host: two daemons in network
// namespaces (tools/cluster), miniweb in the root namespace beside n1 only.
// miniweb has no route to n2 at all, yet the WebSocket carries n2's VM's RFB
// stream: n1's VNC proxy relays it over a mesh stream ('vnc/1').
import { connect } from 'node:net';
import { clusterUnavailable, startCluster } from '@mm/cluster';
import { expect } from 'vitest';
import { WebSocket } from 'ws';
import { guestImage, hasBinary, realComponent } from '#test-support';
import { createDaemonPool } from '../src/daemon.js';
import { createMiniweb } from '../src/server.js';
import { tokenStore } from '../src/tokens.js';
import { ADMIN, VIEWER } from './helpers.js';

const real = realComponent('network namespaces + qemu', () => {
  const why = clusterUnavailable();
  if (why) return why;
  return hasBinary('qemu-system-x86_64') ? undefined : 'qemu-system-x86_64 not installed';
});

/** true when a TCP connection to host:port from here succeeds within 2 s */
function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const t = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, 2000);
    s.once('connect', () => {
      clearTimeout(t);
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      clearTimeout(t);
      resolve(false);
    });
  });
}

real.test(
  'a console proxied from a VM on another host, without a route from miniweb to it',
  async () => {
    const img = await guestImage();
    await using cluster = await startCluster({
      hosts: 2,
      flags: ['-accel', 'tcg', '-degree', '1'],
    });
    const [n1, n2] = cluster.hosts as [(typeof cluster.hosts)[0], (typeof cluster.hosts)[0]];
    const ok = async (h: typeof n1, line: string) => {
      const rows = await h.run(line);
      const err = rows.find((r) => r.Error);
      if (err) throw new Error(`${h.name}: ${line}: ${err.Error}`);
      return rows;
    };
    // the two daemons mesh (discovery on the cluster bridge)
    for (let t = 0; ; t++) {
      const [r] = await n1.run('mesh status');
      if (Number(r?.Tabular?.[0]?.[0]) === 2) break;
      if (t > 300) throw new Error('the mesh never reached 2 nodes');
      await new Promise((r) => setTimeout(r, 100));
    }
    await ok(n2, 'vm config memory 128');
    await ok(n2, `vm config kernel ${img.kernel}`);
    await ok(n2, `vm config initrd ${img.initrd}`);
    await ok(n2, 'vm launch kvm far');
    await ok(n2, 'vm start far');
    const info = await ok(n2, '.columns vnc_port vm info');
    const vncPort = Number(info[0]?.Tabular?.[0]?.[0]);

    await using web = await (async () => {
      const w = await createMiniweb({
        daemon: createDaemonPool({ base: n1.base }),
        tokens: tokenStore([
          [ADMIN, 'admin'],
          [VIEWER, 'viewer'],
        ]),
      });
      return Object.assign(w, { [Symbol.asyncDispose]: () => w.close() });
    })();
    const { url } = await web.listen('127.0.0.1:0');

    // miniweb lists the VM on n2 through n1
    const list = (await (
      await fetch(`${url}/api/v1/vms`, { headers: { authorization: `Bearer ${VIEWER}` } })
    ).json()) as {
      vms: { name: string; host: string; state: string }[];
    };
    expect(list.vms.find((v) => v.name === 'far')).toMatchObject({
      host: n2.name,
      state: 'RUNNING',
    });

    // nothing in the root namespace reaches n2's VNC (nor any port of n2)
    if (vncPort > 0) expect(await reachable(n2.address, vncPort)).toBe(false);

    const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/vms/far/vnc`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    const first = new Promise<Buffer>((resolve, reject) => {
      ws.once('message', (d) => resolve(d as Buffer));
      ws.once('close', (code, why) => reject(new Error(`closed ${code} ${why}`)));
      ws.once('error', reject);
    });
    try {
      expect((await first).toString()).toMatch(/^RFB 003\.00[38]\n$/);
    } finally {
      ws.close();
    }

    // vnc commands typed on n1 reach the VM's host
    const kb = `${n2.base}/far.kb`;
    await ok(n1, `vnc record kb far ${kb}`);
    const listed = await ok(n1, 'vnc');
    expect(listed.find((r) => r.Host === n2.name)?.Tabular?.[0]?.slice(0, 2)).toEqual([
      'far',
      'record kb',
    ]);
    await ok(n1, 'vnc stop kb far');
    expect((await n1.run('vnc record kb nowhere /tmp/x.kb'))[0]?.Error).toMatch(
      /vm not found: nowhere/,
    );
  },
  240_000,
);
