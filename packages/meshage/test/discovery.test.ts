// Discovery details that do not depend on the transport.
import { afterEach, describe, expect, test } from 'vitest';
import { createMemoryNetwork, createMesh, type Mesh, type Transport } from '../src/index.js';
import { uniqueContext, until } from './util.js';

describe('discovery', () => {
  const nodes: Mesh[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((m) => m.close()));
  });

  test('a failing broadcast never stops soliciting', async () => {
    const net = createMemoryNetwork({ latencyMs: 1 });
    const context = uniqueContext();
    const flaky = net.createTransport();
    let calls = 0;
    const inner = flaky.broadcast.bind(flaky);
    const failing: Transport = Object.assign(Object.create(flaky) as Transport, {
      listen: flaky.listen.bind(flaky),
      dial: flaky.dial.bind(flaky),
      close: flaky.close.bind(flaky),
      broadcast: async (data: Uint8Array) => {
        calls++;
        if (calls <= 3) return ['255.255.255.255: network is unreachable'];
        return inner(data);
      },
    });
    const warnings: string[] = [];
    const a = await createMesh({
      name: 'a',
      transport: failing,
      context,
      degree: 1,
      solicitMinMs: 20,
      log: (level, msg) => level === 'warn' && warnings.push(msg),
    });
    const b = await createMesh({ name: 'b', transport: net.createTransport(), context });
    nodes.push(a, b);
    await until('a found b', () => a.peers().includes('b'));
    expect(calls).toBeGreaterThan(3);
    expect(warnings.some((w) => w.includes('network is unreachable'))).toBe(true);
  });

  test('degree 0 never solicits but answers; degree is a floor, not a ceiling', async () => {
    const net = createMemoryNetwork({ latencyMs: 1 });
    const context = uniqueContext();
    const quiet = await createMesh({ name: 'quiet', transport: net.createTransport(), context });
    const others = await Promise.all(
      ['x', 'y', 'z'].map((n) =>
        createMesh({ name: n, transport: net.createTransport(), context, degree: 1 }),
      ),
    );
    nodes.push(quiet, ...others);
    await until('everyone linked', () => others.every((m) => m.peers().length >= 1));
    expect(quiet.stats().datagrams).toBe(0);
    const before = others.map((m) => m.peers().length);
    for (const m of others) m.degree = 0;
    await new Promise((r) => setTimeout(r, 100));
    expect(others.map((m) => m.peers().length)).toEqual(before);
  });
});
