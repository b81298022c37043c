// Peer table details that do not depend on the transport.
import { afterEach, describe, expect, test } from 'vitest';
import { createMemoryNetwork, createMesh, defineKind, type Mesh } from '../src/index.js';
import { until } from './util.js';

const Who = defineKind<null, number>('peers.who');

describe('peer table', () => {
  const nodes: Mesh[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((m) => m.close()));
  });

  test('a restarted peer (new incarnation) replaces its old, silently dead link at once', async () => {
    const net = createMemoryNetwork();
    const a = await createMesh({
      name: 'a',
      transport: net.createTransport('A'),
      deadAfterMs: 60_000,
    });
    const old = await createMesh({
      name: 'b',
      transport: net.createTransport('B1'),
      deadAfterMs: 60_000,
    });
    nodes.push(a, old);
    old.handle(Who, () => old.incarnation);
    await old.dial('A');
    await until('linked', () => a.peers().includes('b'));
    // the old b vanishes without a close (power cut): a still thinks the link is up
    net.isolate('B1');
    const events: string[] = [];
    a.on('peer-down', (n, why) => events.push(`down ${n} ${why}`));
    a.on('peer-up', (n) => events.push(`up ${n}`));
    const fresh = await createMesh({ name: 'b', transport: net.createTransport('B2') });
    nodes.push(fresh);
    fresh.handle(Who, () => fresh.incarnation);
    await fresh.dial('A');
    await until('replaced', () => events.includes('up b'));
    expect(events[0]).toBe('down b peer restarted');
    expect(a.peerInfo()).toEqual([{ name: 'b', address: 'B2', incarnation: fresh.incarnation }]);
    const [row] = await a.send(['b'], Who, null);
    expect(row).toMatchObject({ ok: true, value: fresh.incarnation });
  });
});
