// vm info from the head shows the qos of a VM another host runs: the qos
// lives in that host's HostNetwork and travels in the VM's record.
import { expect, test } from 'vitest';
import { loopbackMeshDaemon } from '../helpers.js';
import { fakeClusterModules as modules, runLine as run } from '../mesh-cluster.js';

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
  const info = (await run(head.core, '.columns name,qos vm info')).rows;
  expect(info.sort()).toEqual([
    ['qh', 'near', '[0: rate 1gbit]'],
    ['qo', 'far', '[1: rate 10mbit]'],
  ]);
  await ok('clear qos far');
  const again = (await run(head.core, '.columns name,qos vm info')).rows;
  expect(again.sort()).toEqual([
    ['qh', 'near', '[0: rate 1gbit]'],
    ['qo', 'far', '[]'],
  ]);
  await ok('vm kill all');
  await ok('vm flush');
});
