// The harness itself: hosts with their own hostname and namespace, addresses
// only inside those namespaces, everything removed on close.
import { execa } from 'execa';
import { describe, expect } from 'vitest';
import { startCluster } from '../src/index.js';
import { netns } from './helpers.js';

describe('tools/cluster', () => {
  netns.test(
    'two hosts with their own hostname, address and socket; torn down on close',
    async () => {
      let names: { bridge: string; ns: string[]; bases: string[] };
      {
        await using c = await startCluster(2);
        names = {
          bridge: c.bridge,
          ns: c.hosts.map((h) => h.netns),
          bases: c.hosts.map((h) => h.base),
        };
        const [h1, h2] = c.hosts;
        expect((await h1?.run('host name'))?.[0]?.Response).toBe('n1');
        expect((await h2?.run('host name'))?.[0]?.Response).toBe('n2');
        const addr = await h1?.exec(['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
        expect(addr?.stdout).toContain(`inet ${h1?.address}/16`);
        const other = await h2?.exec(['ip', '-4', '-o', 'addr', 'show']);
        expect(other?.stdout).toContain(`inet ${h2?.address}/16`);
        expect(other?.stdout).not.toContain(`inet ${h1?.address}/`);
        const br = await execa('ip', ['-4', 'addr', 'show', 'dev', c.bridge]);
        expect(br.stdout).not.toContain('inet ');
      }
      const left = await execa('ip', ['netns', 'list']);
      for (const ns of names.ns) expect(left.stdout).not.toContain(ns);
      const links = await execa('ip', ['link', 'show']);
      expect(links.stdout).not.toContain(names.bridge);
    },
    120_000,
  );

  netns.test(
    'a daemon that cannot start fails startCluster and leaves nothing behind',
    async () => {
      // only ours: other test runs create namespaces concurrently
      const mine = async () =>
        (await execa('ip', ['netns', 'list'])).stdout
          .split('\n')
          .filter((l) => l.startsWith(`mmc-${process.pid}-`));
      const before = await mine();
      await expect(startCluster({ hosts: 1, flags: ['-vlanrange', 'nonsense'] })).rejects.toThrow(
        /exited during start-up/,
      );
      expect(await mine()).toEqual(before);
    },
    120_000,
  );
});
