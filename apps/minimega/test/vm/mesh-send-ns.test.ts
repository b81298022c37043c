// A VM command another node sends runs on the node it is sent to only (as
// minimega's wrapped commands do): a namespace that remote VM calls made on
// a host lists that host's peers as its hosts, and a mesh-sent `vm info` or
// `vm kill` there must not fan out again (it listed the other hosts' VMs,
// each VM twice under `mesh send all`).
import { expect, test } from 'vitest';
import { loopbackMeshDaemon } from '../helpers.js';
import { fakeClusterModules as modules, runLine as run } from '../mesh-cluster.js';

test('mesh send namespace X vm info / vm kill run on the receiving host only', async () => {
  await using a = await loopbackMeshDaemon('ha', modules());
  await using b = await loopbackMeshDaemon('hb', modules());
  await using c = await loopbackMeshDaemon('hc', modules());
  for (const p of [b.port, c.port])
    expect((await run(a.core, `mesh dial 127.0.0.1:${p}`)).errors).toEqual([]);
  const whole = (x: typeof a) => (x.core.services.mesh?.node?.nodes().length ?? 0) === 3;
  for (let i = 0; i < 500 && !(whole(a) && whole(b) && whole(c)); i++)
    await new Promise((r) => setTimeout(r, 20));
  expect((await run(a.core, 'namespace foo ns hosts')).text).toBe('hb,hc');
  expect((await run(a.core, 'namespace foo vm launch kvm v[1-4]')).errors).toEqual([]);
  const placed = (await run(a.core, 'namespace foo .columns name vm info')).rows.sort();
  expect(placed.map(([, n]) => n).sort()).toEqual(['v1', 'v2', 'v3', 'v4']);
  const onB = placed.filter(([h]) => h === 'hb');
  const onC = placed.filter(([h]) => h === 'hc');
  expect(onB.length).toBeGreaterThan(0);
  expect(onC.length).toBeGreaterThan(0);

  const all = await run(a.core, 'mesh send all namespace foo .columns name vm info');
  expect(all.errors).toEqual([]);
  expect(all.rows.sort()).toEqual(placed);
  expect(
    (await run(a.core, 'mesh send hb namespace foo .columns name vm info')).rows.sort(),
  ).toEqual(onB);

  // a VM of hc killed through hb: not found there, left alone on hc
  const cVm = onC[0]![1]!;
  expect((await run(a.core, `mesh send hb namespace foo vm kill ${cVm}`)).errors).toEqual([
    `hb: vm not found: ${cVm}`,
  ]);
  const states = await run(a.core, 'namespace foo .columns name,state vm info');
  expect(states.rows.find(([, n]) => n === cVm)?.[2]).toBe('BUILDING');
}, 60_000);
