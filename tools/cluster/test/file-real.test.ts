// iomeshage between real daemons in network namespaces: `mesh send all file
// get` of a random file to every host, a directory with modes, a stale copy
// replaced, a source killed mid-transfer, `file:` inside `mesh send`, and a
// files directory on a tmpfs too small for the file (space error up front).
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect } from 'vitest';
import { type ClusterHost, startCluster } from '../src/index.js';
import { netns, waitForSize } from './helpers.js';

const MiB = 1024 * 1024;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const files = (h: ClusterHost) => join(h.base, 'files');

async function until(what: string, ok: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

async function errors(h: ClusterHost, line: string): Promise<string[]> {
  return (await h.run(line)).map((r) => r.Error).filter((e) => e !== '');
}

describe('files over a mesh of real daemons', () => {
  netns.test(
    'mesh send all file get: a random file and a directory reach every host intact; a stale copy is replaced',
    async () => {
      await using c = await startCluster({ hosts: 4, flags: ['-degree', '3'] });
      await waitForSize(c.hosts, 4);
      const [n1, n2, n3, n4] = c.hosts as [ClusterHost, ClusterHost, ClusterHost, ClusterHost];
      const data = randomBytes(24 * MiB + 5);
      await mkdir(files(n1), { recursive: true });
      await writeFile(join(files(n1), 'big.img'), data);
      await mkdir(join(files(n1), 'tree/sub/deeper'), { recursive: true });
      await writeFile(join(files(n1), 'tree/run.sh'), '#!/bin/sh\n');
      await chmod(join(files(n1), 'tree/run.sh'), 0o755);
      await writeFile(join(files(n1), 'tree/sub/deeper/secret'), randomBytes(3 * MiB));
      await chmod(join(files(n1), 'tree/sub/deeper/secret'), 0o600);
      await chmod(join(files(n1), 'tree/sub'), 0o750);
      // n3 holds an older, different big.img
      await mkdir(files(n3), { recursive: true });
      await writeFile(join(files(n3), 'big.img'), randomBytes(1000));
      const old = new Date(Date.now() - 86_400_000);
      await utimes(join(files(n3), 'big.img'), old, old);

      try {
        await scenario();
      } catch (e) {
        for (const h of c.hosts) {
          const log = await readFile(h.logFile, 'utf8').catch(() => '');
          console.error(`--- ${h.name} log (tail) ---\n${log.slice(-3000)}`);
        }
        throw e;
      }
      async function scenario() {
        expect(await errors(n1, 'mesh send all file get big.img')).toEqual([]);
        expect(await errors(n1, 'mesh send all file get tree')).toEqual([]);
        for (const h of [n2, n3, n4]) {
          await until(
            `${h.name}: big.img`,
            async () =>
              (await stat(join(files(h), 'big.img')).catch(() => undefined))?.size === data.length,
          );
          await until(`${h.name}: tree`, () => exists(join(files(h), 'tree/sub/deeper/secret')));
          expect(sha(await readFile(join(files(h), 'big.img')))).toBe(sha(data));
          expect((await stat(join(files(h), 'tree/run.sh'))).mode & 0o777).toBe(0o755);
          expect((await stat(join(files(h), 'tree/sub/deeper/secret'))).mode & 0o777).toBe(0o600);
          expect((await stat(join(files(h), 'tree/sub'))).mode & 0o777).toBe(0o750);
        }
        // the file: prefix inside mesh send blocks on the remote host and names its local path
        await writeFile(join(files(n1), 'kernel'), randomBytes(2 * MiB));
        const rows = await n1.run('mesh send n4 echo file:kernel');
        expect(rows.map((r) => [r.Host, r.Error])).toEqual([['n4', '']]);
        expect(rows[0]?.Response).toBe(join(files(n4), 'kernel'));
        expect(await exists(join(files(n4), 'kernel'))).toBe(true);
        // not found, on a mesh of four
        expect(await errors(n2, 'file get nothing.iso')).toEqual([
          'get nothing.iso: file not found',
        ]);
      }
    },
    180_000,
  );

  netns.test(
    'a source killed mid-transfer: the file still arrives from the other holder',
    async () => {
      await using c = await startCluster({ hosts: 3, flags: ['-degree', '2'] });
      await waitForSize(c.hosts, 3);
      const [n1, n2, n3] = c.hosts as [ClusterHost, ClusterHost, ClusterHost];
      const data = randomBytes(48 * MiB);
      const when = new Date(Date.now() - 60_000);
      for (const h of [n1, n2]) {
        await mkdir(files(h), { recursive: true });
        await writeFile(join(files(h), 'img'), data);
        await utimes(join(files(h), 'img'), when, when);
      }
      expect(await errors(n3, 'file get img')).toEqual([]);
      await n1.kill('SIGKILL');
      await until(
        'img on n3',
        async () =>
          (await stat(join(files(n3), 'img')).catch(() => undefined))?.size === data.length,
        90_000,
      );
      expect(sha(await readFile(join(files(n3), 'img')))).toBe(sha(data));
      const status = await n3.run('file status');
      expect(status.flatMap((r) => r.Tabular ?? [])).toEqual([]);
    },
    180_000,
  );

  netns.test(
    'a files directory too small for the file: the space error comes up front and no file is left',
    async () => {
      const mnt = await mkdtemp(join(tmpdir(), `mm-tmpfs-${process.pid}-`));
      await execa('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt]);
      try {
        await using c = await startCluster({
          hosts: 2,
          flags: ({ index }) =>
            index === 2 ? ['-degree', '1', '-filepath', mnt] : ['-degree', '1'],
        });
        await waitForSize(c.hosts, 2);
        const [n1, n2] = c.hosts as [ClusterHost, ClusterHost];
        await mkdir(files(n1), { recursive: true });
        await writeFile(join(files(n1), 'huge.img'), randomBytes(16 * MiB));
        const errs = await errors(n2, 'echo file:huge.img');
        expect(errs).toHaveLength(1);
        expect(errs[0]).toMatch(
          /^get huge\.img: not enough space: needs 16\.0 MiB \(16777216 bytes\), .* free$/,
        );
        expect(await exists(join(mnt, 'huge.img'))).toBe(false);
        const status = (await n2.run('file status'))[0];
        expect(status?.Tabular?.[0]?.[7]).toMatch(/not enough space/);
      } finally {
        await execa('umount', ['-l', mnt], { reject: false });
        await rm(mnt, { recursive: true, force: true });
      }
    },
    120_000,
  );
});
