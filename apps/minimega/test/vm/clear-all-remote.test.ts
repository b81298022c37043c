// `clear all` on one node clears the namespaces of its mesh peers too
// (minimega runs `clear namespace all`, which it sends to every peer): a
// namespace a remote VM call made on another host, its VMs, and namespaces
// only that host has are gone afterwards, not left to leak into what runs next.
import { createFakeSwitch, fixedSwitchProvider } from '@mm/ovs';
import { createFakeDriver } from '@mm/qemu';
import { expect, test } from 'vitest';
import { meshModule } from '../../src/commands/mesh/index.js';
import { clusterModule } from '../../src/commands/namespace/cluster.js';
import { namespaceModule } from '../../src/commands/namespace/index.js';
import { createNetModule } from '../../src/commands/net/index.js';
import { createVmModule } from '../../src/commands/vm/index.js';
import type { DaemonCore } from '../../src/daemon/core.js';
import { loopbackMeshDaemon } from '../helpers.js';

async function run(core: DaemonCore, line: string): Promise<{ text: string; errors: string[] }> {
  const errors: string[] = [];
  let text = '';
  for await (const b of core.execute(line, {}, { aliases: false }))
    for (const r of b) {
      if (r.error) errors.push(`${r.host}: ${r.error}`);
      text += r.response;
    }
  return { text, errors };
}

const modules = () => [
  createNetModule({ provider: () => fixedSwitchProvider(createFakeSwitch()) }),
  createVmModule({ driver: () => createFakeDriver() }),
  namespaceModule,
  meshModule,
  clusterModule,
];

test('clear all on the head destroys the namespaces (and their VMs) of every mesh peer', async () => {
  await using a = await loopbackMeshDaemon('ca', modules());
  await using b = await loopbackMeshDaemon('cb', modules());
  expect((await run(a.core, `mesh dial 127.0.0.1:${b.port}`)).errors).toEqual([]);
  for (let i = 0; i < 300; i++) {
    if ((await run(a.core, 'namespace foo ns add-hosts ca,cb')).errors.length === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  expect((await run(a.core, 'namespace foo ns hosts')).text).toBe('ca,cb');
  // a VM the head places on cb: cb gets namespace foo from the remote call
  for (const line of ['vm config schedule cb', 'vm launch kvm v1', 'vm start all'])
    expect((await run(a.core, `namespace foo ${line}`)).errors, line).toEqual([]);
  // and a namespace only cb has, with its own setting
  expect((await run(b.core, 'namespace bonly ns queueing true')).errors).toEqual([]);
  const vmsOnB = async () => (await b.core.services.vmHost?.list({}))?.map((v) => v.name);
  expect(b.core.namespaces.names()).toEqual(expect.arrayContaining(['foo', 'bonly']));
  expect(await vmsOnB()).toEqual(['v1']);

  expect((await run(a.core, 'clear all')).errors).toEqual([]);

  expect(b.core.namespaces.names()).not.toContain('foo');
  expect(b.core.namespaces.names()).not.toContain('bonly');
  expect(await vmsOnB()).toEqual([]);
  expect(a.core.namespaces.names()).not.toContain('foo');
  // what comes back is fresh: the setting went with the namespace
  expect((await run(b.core, 'namespace bonly ns queueing')).text).toBe('false');
}, 60_000);
