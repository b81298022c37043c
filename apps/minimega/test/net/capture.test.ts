// `capture pcap vm ...`, `capture`, `clear capture` on the fake switch with a
// fake capture process: per-namespace listing, stop per VM, errors.
import { join } from 'node:path';
import { createFakeSwitch } from '@mm/ovs';
import { describe, expect, it } from 'vitest';
import { namespaceModule } from '../../src/commands/namespace/index.js';
import { recordingPcap } from './fake-pcap.js';
import { netDaemon } from './harness.js';

async function twoNamespaces() {
  const { pcap, started, stopped } = recordingPcap();
  const d = await netDaemon(createFakeSwitch(), {}, { modules: [namespaceModule], pcap });
  const tap = (namespace: string, vm: string) =>
    d.net.createTap({ namespace, vm, bridge: '', vlan: 5, mac: '' });
  const taps = {
    web: await tap('red', 'web'),
    db: await tap('red', 'db'),
    db2: await tap('blue', 'db'),
  };
  return { d, started, stopped, taps };
}

describe('capture (fake switch, fake capture process)', () => {
  it('captures per namespace; a name in two namespaces is two VMs', async () => {
    const { d, started, stopped, taps } = await twoNamespaces();
    await using _ = d;
    const t = await d.transcript([
      'namespace red capture pcap vm web 0 web.pcap',
      'namespace red capture pcap vm db 0 /tmp/db.pcap',
      'namespace blue capture pcap vm db 0 /tmp/db.pcap',
      'namespace red capture',
      'namespace blue capture',
      'namespace red capture pcap delete vm db',
      'namespace red capture',
      'namespace blue capture',
      'namespace blue clear capture',
      'namespace blue capture',
      'namespace red capture pcap delete vm all',
      'namespace red capture',
    ]);
    const file = join(d.core.flags.filepath, 'web.pcap');
    expect(t).toBe(
      [
        '## namespace red capture pcap vm web 0 web.pcap',
        '## namespace red capture pcap vm db 0 /tmp/db.pcap',
        '## namespace blue capture pcap vm db 0 /tmp/db.pcap',
        '## namespace red capture',
        'bridge      | type | interface | mode | compress | path',
        // rows sorted by the renderer, as minimega's
        'mega_bridge | pcap | db:0      |      |          | /tmp/db.pcap',
        `mega_bridge | pcap | web:0     |      |          | ${file}`,
        '## namespace blue capture',
        'bridge      | type | interface | mode | compress | path',
        'mega_bridge | pcap | db:0      |      |          | /tmp/db.pcap',
        '## namespace red capture pcap delete vm db',
        '## namespace red capture',
        'bridge      | type | interface | mode | compress | path',
        `mega_bridge | pcap | web:0     |      |          | ${file}`,
        '## namespace blue capture',
        'bridge      | type | interface | mode | compress | path',
        'mega_bridge | pcap | db:0      |      |          | /tmp/db.pcap',
        '## namespace blue clear capture',
        '## namespace blue capture',
        '## namespace red capture pcap delete vm all',
        '## namespace red capture',
        '',
      ].join('\n'),
    );
    expect(started.map((s) => s.iface)).toEqual([taps.web, taps.db, taps.db2]);
    expect(stopped).toEqual([taps.db, taps.db2, taps.web]);
  });

  it('refuses unknown VMs and interfaces; snaplen and filter apply to new captures', async () => {
    const { d, started } = await twoNamespaces();
    await using _ = d;
    const err = async (line: string) => (await d.run(line)).errors;
    expect(await err('namespace red capture pcap vm db 1 /dev/null')).toEqual([
      'no such interface 1 for db',
    ]);
    expect(await err('namespace red capture pcap vm nope 0 /dev/null')).toEqual([
      'vm not found: nope',
    ]);
    expect(await err('namespace red capture pcap delete vm nope')).toEqual(['vm not found: nope']);
    expect(await err('namespace red capture pcap vm db x /dev/null')).toEqual([
      'invalid interface: `x`',
    ]);
    expect(await err('namespace red capture pcap snaplen lots')).toHaveLength(1);
    expect((await d.run('namespace red capture pcap snaplen')).text.trim()).toBe('1600');
    expect(await err('namespace red capture pcap snaplen 96')).toEqual([]);
    expect(await err('namespace red capture pcap filter icmp')).toEqual([]);
    expect((await d.run('namespace red capture pcap filter')).text.trim()).toBe('icmp');
    expect(await err('namespace red capture pcap vm db 0 /dev/null')).toEqual([]);
    expect(started.at(-1)).toMatchObject({ snaplen: 96, filter: 'icmp', path: '/dev/null' });
    expect(await err('capture pcap bridge mega_bridge /dev/null')).toHaveLength(1);
    expect(await err('capture netflow mode')).toHaveLength(1);
  });

  it('deleting a namespace stops its captures', async () => {
    const { d, stopped, taps } = await twoNamespaces();
    await using _ = d;
    expect((await d.run('namespace blue capture pcap vm db 0 /dev/null')).errors).toEqual([]);
    expect((await d.run('clear namespace blue')).errors).toEqual([]);
    expect(stopped).toEqual([taps.db2]);
  });
});
