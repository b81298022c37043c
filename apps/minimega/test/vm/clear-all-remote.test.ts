// `clear all` on one node clears the namespaces of its mesh peers too
// (minimega runs `clear namespace all`, which it sends to every peer): a
// namespace a remote VM call made on another host, its VMs, and namespaces
// only that host has are gone afterwards, not left to leak into what runs next.
import { expect, test } from 'vitest';
import { loopbackMeshDaemon } from '../helpers.js';
import { joinNamespace, fakeClusterModules as modules, runLine as run } from '../mesh-cluster.js';

test('clear all on the head destroys the namespaces (and their VMs) of every mesh peer', async () => {
  await using a = await loopbackMeshDaemon('ca', modules());
  await using b = await loopbackMeshDaemon('cb', modules());
  await joinNamespace(a, b, 'foo');
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

test('clear namespace NAME on the head destroys that namespace on every mesh peer, only that one', async () => {
  await using a = await loopbackMeshDaemon('na', modules());
  await using b = await loopbackMeshDaemon('nb', modules());
  await joinNamespace(a, b, 'foo');
  for (const line of ['vm config schedule nb', 'vm launch kvm v1'])
    expect((await run(a.core, `namespace foo ${line}`)).errors, line).toEqual([]);
  expect((await run(b.core, 'namespace keep ns queueing true')).errors).toEqual([]);
  expect(b.core.namespaces.names()).toEqual(expect.arrayContaining(['foo', 'keep']));

  expect((await run(a.core, 'clear namespace foo')).errors).toEqual([]);
  expect(b.core.namespaces.names()).not.toContain('foo');
  expect(await b.core.services.vmHost?.list({})).toEqual([]);
  expect((await run(b.core, 'namespace keep ns queueing')).text).toBe('true');
  // a name no peer has is no error anywhere
  expect((await run(a.core, 'clear namespace nope')).errors).toEqual([]);
  // sent by another node, it stays on the node it was sent to
  expect((await run(a.core, 'namespace keep ns queueing true')).errors).toEqual([]);
  expect((await run(b.core, 'mesh send na clear namespace keep')).errors).toEqual([]);
  expect(a.core.namespaces.names()).not.toContain('keep');
  expect(b.core.namespaces.names()).toContain('keep');
}, 60_000);
