// `capture` and `clear capture` cover every host of the namespace (minimega
// broadcasts both): a capture of a VM that runs on another host is listed on
// the head with that host's name, and the head's clear stops it there.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { loopbackMeshDaemon } from '../helpers.js';
import { fakeClusterModules, joinNamespace, runLine as run } from '../mesh-cluster.js';
import { recordingPcap } from './fake-pcap.js';

test('capture lists and clear capture stops the captures of every host of the namespace', async () => {
  const { pcap, started, stopped } = recordingPcap();
  await using a = await loopbackMeshDaemon('pa', fakeClusterModules({ pcap }));
  await using b = await loopbackMeshDaemon('pb', fakeClusterModules({ pcap }));
  await joinNamespace(a, b, 'cap');
  for (const line of [
    'vm config net 100',
    'vm config schedule pa',
    'vm launch kvm va',
    'vm config schedule pb',
    'vm launch kvm vb',
  ])
    expect((await run(a.core, `namespace cap ${line}`)).errors, line).toEqual([]);
  // each host captures the VM it runs (vb's taps are on pb; the head's
  // command reaches it there)
  expect((await run(a.core, 'namespace cap capture pcap vm va 0 /tmp/va.pcap')).errors).toEqual([]);
  expect((await run(a.core, 'namespace cap capture pcap vm vb 0 /tmp/vb.pcap')).errors).toEqual([]);
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

test('capture pcap vm starts and stops the capture on the host that runs the VM', async () => {
  const a0 = recordingPcap();
  const b0 = recordingPcap();
  await using a = await loopbackMeshDaemon('qa', fakeClusterModules({ pcap: a0.pcap }));
  await using b = await loopbackMeshDaemon('qb', fakeClusterModules({ pcap: b0.pcap }));
  await joinNamespace(a, b, 'cap');
  for (const line of ['vm config net 100 200', 'vm config schedule qb', 'vm launch kvm vb'])
    expect((await run(a.core, `namespace cap ${line}`)).errors, line).toEqual([]);

  // typed on the head, it runs on qb (relative paths under qb's files directory)
  expect((await run(a.core, 'namespace cap capture pcap vm vb 1 vb.pcap')).errors).toEqual([]);
  expect(a0.started).toEqual([]);
  expect(b0.started.map((s) => s.path)).toEqual([join(b.core.flags.filepath, 'vb.pcap')]);
  expect(b0.started[0]?.iface).toBe(b.core.services.networking?.vmTaps('cap').get('vb')?.[1]?.name);
  expect((await run(a.core, 'namespace cap capture')).rows.map((r) => [r[0], r[3]])).toEqual([
    ['qb', 'vb:1'],
  ]);

  // errors from the VM's host come back; no host with the VM is "vm not found"
  expect((await run(a.core, 'namespace cap capture pcap vm vb 5 x.pcap')).errors).toEqual([
    'qb: no such interface 5 for vb',
  ]);
  expect((await run(a.core, 'namespace cap capture pcap vm nope 0 x.pcap')).errors).toEqual([
    'qa: vm not found: nope',
  ]);
  expect((await run(a.core, 'namespace cap capture pcap delete vm nope')).errors).toEqual([
    'qa: vm not found: nope',
  ]);

  expect((await run(a.core, 'namespace cap capture pcap delete vm vb')).errors).toEqual([]);
  expect(b0.stopped).toEqual([b0.started[0]?.iface]);
  expect(b.core.services.captures?.list('cap')).toEqual([]);
  // a mesh-sent one stays on the host it is sent to
  const toB = await run(a.core, 'mesh send qb namespace cap capture pcap vm vb 0 y.pcap');
  expect(toB.errors).toEqual([]);
  expect(b0.started).toHaveLength(2);
  const toA = await run(b.core, 'mesh send qa namespace cap capture pcap vm vb 0 y.pcap');
  expect(toA.errors).toEqual(['qa: vm not found: vb']);
}, 60_000);

test('capture pcap snaplen and filter are set and shown on every host of the namespace', async () => {
  const { pcap, started } = recordingPcap();
  await using a = await loopbackMeshDaemon('sa', fakeClusterModules({ pcap }));
  await using b = await loopbackMeshDaemon('sb', fakeClusterModules({ pcap }));
  await joinNamespace(a, b, 'cap');
  expect((await run(a.core, 'namespace cap capture pcap snaplen 96')).errors).toEqual([]);
  expect((await run(a.core, 'namespace cap capture pcap filter "tcp port 22"')).errors).toEqual([]);
  for (const x of [a, b]) {
    expect(x.core.services.captures?.settings('cap')).toMatchObject({
      snaplen: 96,
      filter: 'tcp port 22',
    });
  }
  // shown: one answer per host
  expect((await run(a.core, 'namespace cap capture pcap snaplen')).text).toBe('9696');
  expect((await run(a.core, 'namespace cap capture pcap snaplen x')).errors).toEqual([
    'sa: invalid snaplen: `x` (a number of bytes)',
  ]);
  // a capture the head starts on sb's VM uses sb's settings
  for (const line of ['vm config net 100', 'vm config schedule sb', 'vm launch kvm vb'])
    expect((await run(a.core, `namespace cap ${line}`)).errors, line).toEqual([]);
  expect((await run(a.core, 'namespace cap capture pcap vm vb 0 /tmp/vb.pcap')).errors).toEqual([]);
  expect(started.map((s) => [s.snaplen, s.filter])).toEqual([[96, 'tcp port 22']]);
  // another namespace keeps its defaults
  expect(b.core.services.captures?.settings('other').snaplen).not.toBe(96);
}, 60_000);

test('a `read` script fans out as typed lines do: its capture reaches the VM on another host', async () => {
  const { pcap, started } = recordingPcap();
  await using a = await loopbackMeshDaemon('ra', fakeClusterModules({ pcap }));
  await using b = await loopbackMeshDaemon('rb', fakeClusterModules({ pcap }));
  await joinNamespace(a, b, 'cap');
  const script = join(a.base, 'capture.mm');
  await writeFile(
    script,
    [
      'namespace cap vm config net 100',
      'namespace cap vm config schedule rb',
      'namespace cap vm launch kvm vb',
      'namespace cap capture pcap vm vb 0 /tmp/vb.pcap',
      '',
    ].join('\n'),
  );
  // minimega's read sets no source: the script's lines are not confined to this node
  expect((await run(a.core, `read ${script}`)).errors).toEqual([]);
  expect(started).toHaveLength(1);
  expect((await run(a.core, 'namespace cap capture')).rows.map(([host]) => host)).toEqual(['rb']);
}, 60_000);
