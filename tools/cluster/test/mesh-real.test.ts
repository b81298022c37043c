// Real daemons in network namespaces finding each other over UDP broadcast
// and TCP: discovery without `mesh dial`, mesh send across hosts, kill -9
// during sends, restart, and the mesh key.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect } from 'vitest';
import { type Cluster, startCluster } from '../src/index.js';
import { meshSize, netns, waitForSize } from './helpers.js';

/** Every host of the 10-host cluster but n1, in sorted order (what n1's `mesh send` rows name). */
const OTHERS_OF_N1 = ['n10', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8', 'n9'];

// the key file must exist before the daemons start
let keyDir = '';
beforeAll(async () => {
  keyDir = await mkdtemp(join(tmpdir(), `mm-meshkey-${process.pid}-`));
  await writeFile(join(keyDir, 'mesh.key'), 'c2VjcmV0IGtleSBmb3IgdGhlIGNsdXN0ZXIgdGVzdA==\n');
});
afterAll(async () => {
  if (keyDir) await rm(keyDir, { recursive: true, force: true });
});

describe('mesh with 3 real daemons', () => {
  netns.test(
    'degree 3 finds everyone without mesh dial; mesh send all host name',
    async () => {
      await using c = await startCluster({ hosts: 3, flags: ['-degree', '3'] });
      await waitForSize(c.hosts, 3);
      for (const h of c.hosts) {
        const [r] = await h.run('mesh status');
        expect(r?.Header).toEqual(['size', 'degree', 'peers', 'context', 'port']);
        expect(r?.Tabular?.[0]).toEqual(['3', '3', '2', 'minimega', '9000']);
      }
      const rows = await c.host('n2').run('mesh send all host name');
      expect(rows.map((r) => [r.Host, r.Response, r.Error]).sort()).toEqual([
        ['n1', 'n1', ''],
        ['n3', 'n3', ''],
      ]);
    },
    120_000,
  );

  netns.test(
    'with a mesh key on three hosts, a daemon without it is not admitted',
    async () => {
      await using c = await startCluster({
        hosts: 4,
        flags: ({ index }) =>
          index <= 3 ? ['-degree', '2', '-meshkey', join(keyDir, 'mesh.key')] : ['-degree', '2'],
      });
      await waitForSize(c.hosts.slice(0, 3), 3);
      await new Promise((r) => setTimeout(r, 1000));
      expect(await meshSize(c.host('n4'))).toBe(1);
      const dial = await c.host('n4').run(`mesh dial ${c.host('n1').address}`);
      expect(dial[0]?.Error).toMatch(/mesh key/);
      const rows = await c.host('n1').run('mesh send n4 host name');
      expect(rows[0]).toMatchObject({ Host: 'n4', Response: '' });
      expect(rows[0]?.Error).toMatch(/unknown host n4/);
      expect(await meshSize(c.host('n1'))).toBe(3);
    },
    120_000,
  );
});

describe('mesh with 10 real daemons', () => {
  let c: Cluster | undefined;
  beforeAll(async () => {
    if (!netns.ok) return;
    c = await startCluster({ hosts: 10, flags: ['-degree', '3'] });
  }, 180_000);
  afterAll(async () => {
    await c?.close();
  }, 60_000);

  netns.test(
    'converge without mesh dial; one row per other host',
    async () => {
      const cl = c as Cluster;
      await waitForSize(cl.hosts, 10);
      const rows = await cl.host('n1').run('mesh send all host name');
      expect(rows.map((r) => r.Host).sort()).toEqual(OTHERS_OF_N1);
      expect(rows.every((r) => r.Error === '' && r.Response === r.Host)).toBe(true);
    },
    120_000,
  );

  netns.test(
    'kill -9 during repeated sends: every send returns, the dead host is an error row, the mesh shrinks, a restart rejoins',
    async () => {
      const cl = c as Cluster;
      await waitForSize(cl.hosts, 10);
      const sender = cl.host('n1');
      const victim = cl.host('n7');
      const results: { rows: { Host: string; Error: string; Response: string }[] }[] = [];
      let stop = false;
      const loop = (async () => {
        while (!stop) results.push({ rows: await sender.run('mesh send n[2-10] host name') });
      })();
      await new Promise((r) => setTimeout(r, 300));
      await victim.kill('SIGKILL');
      await waitForSize(
        cl.hosts.filter((h) => h !== victim),
        9,
      );
      await new Promise((r) => setTimeout(r, 300));
      stop = true;
      await loop;
      expect(results.length).toBeGreaterThan(2);
      for (const { rows } of results) {
        expect(rows.map((r) => r.Host).sort()).toEqual(OTHERS_OF_N1);
        for (const r of rows) {
          // a request in flight through n7 when it died fails too, naming n7
          if (r.Host !== 'n7' && r.Error !== '') expect(r.Error).toMatch(/\bn7\b/);
          if (r.Host !== 'n7' && r.Error === '') expect(r.Response).toBe(r.Host);
        }
      }
      const last = results[results.length - 1]?.rows.find((r) => r.Host === 'n7');
      expect(last?.Error).not.toBe('');
      expect(results.some(({ rows }) => rows.find((r) => r.Host === 'n7')?.Response === 'n7')).toBe(
        true,
      );

      await victim.start();
      await waitForSize(cl.hosts, 10);
      const back = await sender.run('mesh send n7 host name');
      expect(back).toMatchObject([{ Host: 'n7', Response: 'n7', Error: '' }]);
    },
    120_000,
  );
  netns.test(
    'a host cut off silently (cable pulled) is dropped, and rejoins when it is back',
    async () => {
      const cl = c as Cluster;
      await waitForSize(cl.hosts, 10);
      const h = cl.host('n4');
      const others = cl.hosts.filter((x) => x !== h);
      await h.disconnect();
      try {
        await waitForSize(others, 9);
        await waitForSize([h], 1);
        const rows = await cl.host('n1').run('mesh send n4 host name');
        expect(rows[0]?.Error).not.toBe('');
      } finally {
        await h.reconnect();
      }
      await waitForSize(cl.hosts, 10);
      const back = await cl.host('n1').run('mesh send n4 host name');
      expect(back).toMatchObject([{ Host: 'n4', Response: 'n4', Error: '' }]);
    },
    120_000,
  );
});
