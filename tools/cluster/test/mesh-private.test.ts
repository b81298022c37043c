// The private mesh on the wire: real keyed daemons in network namespaces,
// tcpdump on one host while `mesh send all echo SECRET` runs. The capture
// holds a plaintext control packet (so it did capture) and no SECRET.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { startCluster } from '../src/index.js';
import { netns, waitForSize } from './helpers.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), `mm-private-${process.pid}-`));
  await writeFile(join(dir, 'mesh.key'), 'cHJpdmF0ZSBtZXNoIHRlc3Qga2V5IDAxMjM0NTY3\n');
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('private mesh on the wire', () => {
  netns.test(
    'a tcpdump capture of mesh send all echo SECRET holds no SECRET',
    async () => {
      await using c = await startCluster({
        hosts: 3,
        flags: ['-degree', '2', '-meshkey', join(dir, 'mesh.key')],
      });
      await waitForSize(c.hosts, 3);
      const [n1, n2] = c.hosts as [(typeof c.hosts)[0], (typeof c.hosts)[0]];
      const pcap = join(dir, 'n2.pcap');
      const secret = `SECRET-${process.pid}-${Date.now()}`;
      const control = `CONTROL-${process.pid}-${Date.now()}`;
      const dump = execa(
        'ip',
        ['netns', 'exec', n2.netns, 'tcpdump', '-i', 'any', '-U', '--immediate-mode', '-w', pcap],
        {
          reject: false,
        },
      );
      try {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error('tcpdump did not start')), 20_000);
          dump.stderr?.on('data', (d: Buffer) => {
            if (d.toString().includes('listening on')) {
              clearTimeout(t);
              resolve();
            }
          });
        });
        const rows = await n1.run(`mesh send all echo ${secret}`);
        expect(rows.map((r) => [r.Host, r.Response]).sort()).toEqual([
          ['n2', secret],
          ['n3', secret],
        ]);
        // plaintext the capture must see: UDP datagrams from n1 to n2
        for (let i = 0; i < 3; i++) {
          const sent = await n1.exec([
            'bash',
            '-c',
            `echo ${control} > /dev/udp/${n2.address}/9999`,
          ]);
          expect(sent.exitCode).toBe(0);
          await new Promise((r) => setTimeout(r, 100));
        }
        await new Promise((r) => setTimeout(r, 300));
      } finally {
        dump.kill('SIGINT');
        await dump;
      }
      const bytes = await readFile(pcap);
      expect(bytes.includes(control)).toBe(true);
      expect(bytes.includes(secret)).toBe(false);
      expect(bytes.includes('SECRET')).toBe(false);
    },
    120_000,
  );
});
