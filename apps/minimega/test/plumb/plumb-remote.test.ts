// Pipes across the mesh, over a loopback mesh of two in-process daemons: a
// pipeline on one daemon feeds the pipe of the same name on another
// (minimega's distributed plumbing_basic), and the namespace-wide commands
// reach every host of the namespace.
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, test } from 'vitest';
import { meshModule } from '../../src/commands/mesh/index.js';
import { namespaceModule } from '../../src/commands/namespace/index.js';
import { plumbModule } from '../../src/commands/plumb/index.js';
import { loopbackMeshDaemon } from '../helpers.js';
import { joinNamespace, runLine as run } from '../mesh-cluster.js';

test('a write in mode all reaches the same pipe on the other node and flows on there', async () => {
  await using a = await loopbackMeshDaemon('pla', [meshModule, plumbModule]);
  await using b = await loopbackMeshDaemon('plb', [meshModule, plumbModule]);
  expect((await run(a.core, `mesh dial 127.0.0.1:${b.port}`)).errors).toEqual([]);
  for (let i = 0; i < 300 && (await run(a.core, 'mesh list')).text.split('plb').length < 2; i++)
    await sleep(20);
  expect((await run(a.core, 'plumb foo "sed -u s/cc/pla/" bar')).errors).toEqual([]);
  expect((await run(b.core, 'plumb bar "sed -u s/pla/plb/" baz')).errors).toEqual([]);
  expect((await run(a.core, 'pipe foo "hello from cc!"')).errors).toEqual([]);
  const cols = '.columns name,readers,writers,count,previous pipe';
  for (let i = 0; i < 500; i++) {
    if ((await run(b.core, cols)).rows.some((r) => r[5] === 'hello from plb!')) break;
    await sleep(20);
  }
  expect((await run(a.core, cols)).rows).toEqual([
    ['pla', 'minimega//bar', '0', '1', '1', 'hello from pla!'],
    ['pla', 'minimega//foo', '1', '0', '1', 'hello from cc!'],
  ]);
  expect((await run(b.core, cols)).rows).toEqual([
    ['plb', 'minimega//bar', '1', '0', '1', 'hello from pla!'],
    ['plb', 'minimega//baz', '0', '1', '1', 'hello from plb!'],
  ]);
}, 60_000);

test('plumb and pipe listings, modes and clears cover every host of the namespace', async () => {
  const modules = [meshModule, namespaceModule, plumbModule];
  await using a = await loopbackMeshDaemon('pna', modules);
  await using b = await loopbackMeshDaemon('pnb', modules);
  await joinNamespace(a, b, 'blue');
  expect((await run(b.core, 'namespace blue plumb x y')).errors).toEqual([]);
  expect((await run(a.core, 'namespace blue plumb')).rows).toEqual([['pnb', 'blue//x blue//y']]);
  expect((await run(a.core, 'namespace blue pipe x mode round-robin')).errors).toEqual([]);
  expect(
    (await run(a.core, 'namespace blue pipe')).rows.map(([h, name, mode, readers]) => [
      h,
      name,
      mode,
      readers,
    ]),
  ).toEqual([
    ['pna', 'blue//x', 'round-robin', '0'],
    ['pnb', 'blue//x', 'round-robin', '1'],
    ['pnb', 'blue//y', 'all', '0'],
  ]);
  // a host that fails is an error row naming it
  expect((await run(a.core, 'namespace blue clear pipe y')).errors).toEqual([
    'pna: no such pipe: blue//y',
    'pnb: cannot delete named pipe with open writers: blue//y',
  ]);
  expect((await run(a.core, 'namespace blue clear plumb')).errors).toEqual([]);
  expect((await run(a.core, 'namespace blue clear pipe')).errors).toEqual([]);
  expect((await run(a.core, 'namespace blue pipe')).rows).toEqual([]);
  expect((await run(b.core, 'namespace blue pipe')).rows).toEqual([]);
}, 60_000);
