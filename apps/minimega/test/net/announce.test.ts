import { createFakeSwitch } from '@mm/ovs';
import { expect, it } from 'vitest';
import type { MeshService } from '../../src/commands/mesh/service.js';
import { netDaemon } from './harness.js';

it('announces new aliases to mesh peers as `namespace NS vlans add ALIAS VLAN`', async () => {
  await using d = await netDaemon(createFakeSwitch());
  // the namespace module is not loaded here: a stand-in with its grammar
  d.core.cli.register({ helpShort: 'ns', patterns: ['namespace <name> (command)'], call() {} });
  const sent: { hosts: readonly string[]; words: string[]; record: boolean }[] = [];
  d.core.services.mesh = {
    node: { name: 'testhost', nodes: () => ['testhost', 'peer1', 'peer2'] },
    async runOn(hosts: readonly string[], sub: { words: string[]; record: boolean }) {
      sent.push({ hosts, words: sub.words, record: sub.record });
      return [{ host: 'peer1', error: 'alias already in use' }];
    },
  } as unknown as MeshService;
  expect(d.net.resolveVlan('minimega', 'DMZ')).toBe(101);
  expect(d.net.resolveVlan('minimega', 'DMZ')).toBe(101); // existing: no second announcement
  expect(d.net.resolveVlan('bar', 'foo//A')).toBe(102);
  expect((await d.run('tap create 7')).errors).toEqual([]); // numbers are never announced
  expect(sent).toEqual([
    {
      hosts: ['peer1', 'peer2'],
      words: ['namespace', 'minimega', 'vlans', 'add', 'DMZ', '101'],
      record: false,
    },
    {
      hosts: ['peer1', 'peer2'],
      words: ['namespace', 'foo', 'vlans', 'add', 'A', '102'],
      record: false,
    },
  ]);
});
