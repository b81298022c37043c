// vm info from the head shows the qos of a VM another host runs: the qos
// lives in that host's HostNetwork and travels in the VM's record.
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

async function run(
  core: DaemonCore,
  line: string,
): Promise<{ text: string[][]; errors: string[] }> {
  const text: string[][] = [];
  const errors: string[] = [];
  for await (const b of core.execute(line, {}, { aliases: false }))
    for (const r of b) {
      if (r.error) errors.push(r.error);
      for (const row of r.tabular ?? []) text.push([r.host, ...row]);
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

test("the head's vm info shows qos on a VM of another host", async () => {
  await using head = await loopbackMeshDaemon('qh', modules());
  await using other = await loopbackMeshDaemon('qo', modules());
  expect((await run(head.core, `mesh dial 127.0.0.1:${other.port}`)).errors).toEqual([]);
  const ok = async (line: string) => expect((await run(head.core, line)).errors).toEqual([]);
  // the peer is usable once the mesh knows it
  for (let i = 0; i < 300 && (await run(head.core, 'ns add-hosts qo')).errors.length > 0; i++)
    await new Promise((r) => setTimeout(r, 20));
  await ok('ns add-hosts qo');
  await ok('vm config net 100 200');
  await ok('vm config schedule qo');
  await ok('vm launch kvm far');
  await ok('vm config schedule qh');
  await ok('vm launch kvm near');
  await ok('qos add far 1 rate 10 mbit');
  await ok('qos add near 0 rate 1 gbit');
  // rows are [answering host, name, qos]
  const info = (await run(head.core, '.columns name,qos vm info')).text;
  expect(info.sort()).toEqual([
    ['qh', 'near', '[0: rate 1gbit]'],
    ['qo', 'far', '[1: rate 10mbit]'],
  ]);
  await ok('clear qos far');
  const again = (await run(head.core, '.columns name,qos vm info')).text;
  expect(again.sort()).toEqual([
    ['qh', 'near', '[0: rate 1gbit]'],
    ['qo', 'far', '[]'],
  ]);
  await ok('vm kill all');
  await ok('vm flush');
});
