// `capture` and `clear capture` cover every host of the namespace (minimega
// broadcasts both): a capture of a VM that runs on another host is listed on
// the head with that host's name, and the head's clear stops it there.
import { expect, test } from 'vitest';
import { loopbackMeshDaemon } from '../helpers.js';
import { fakeClusterModules, runLine as run } from '../mesh-cluster.js';
import { recordingPcap } from './fake-pcap.js';

test('capture lists and clear capture stops the captures of every host of the namespace', async () => {
  const { pcap, started, stopped } = recordingPcap();
  await using a = await loopbackMeshDaemon('pa', fakeClusterModules({ pcap }));
  await using b = await loopbackMeshDaemon('pb', fakeClusterModules({ pcap }));
  expect((await run(a.core, `mesh dial 127.0.0.1:${b.port}`)).errors).toEqual([]);
  for (let i = 0; i < 300; i++) {
    if ((await run(a.core, 'namespace cap ns add-hosts pa,pb')).errors.length === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  for (const line of [
    'vm config net 100',
    'vm config schedule pa',
    'vm launch kvm va',
    'vm config schedule pb',
    'vm launch kvm vb',
  ])
    expect((await run(a.core, `namespace cap ${line}`)).errors, line).toEqual([]);
  // each host captures the VM it runs (vb's taps are on pb)
  expect((await run(a.core, 'namespace cap capture pcap vm va 0 /tmp/va.pcap')).errors).toEqual([]);
  expect((await run(b.core, 'namespace cap capture pcap vm vb 0 /tmp/vb.pcap')).errors).toEqual([]);
  expect(started).toHaveLength(2);

  const listed = await run(a.core, 'namespace cap capture');
  expect(listed.errors).toEqual([]);
  expect(listed.rows.map(([host, , type, iface, , , path]) => [host, type, iface, path])).toEqual([
    ['pa', 'pcap', 'va:0', '/tmp/va.pcap'],
    ['pb', 'pcap', 'vb:0', '/tmp/vb.pcap'],
  ]);

  expect((await run(a.core, 'namespace cap clear capture')).errors).toEqual([]);
  expect(stopped).toHaveLength(2);
  expect((await run(a.core, 'namespace cap capture')).rows).toEqual([]);
  expect(b.core.services.captures?.list('cap')).toEqual([]);
}, 60_000);
