import { describe, expect, test } from 'vitest';
import {
  createNamespaceManager,
  DEFAULT_NAMESPACE,
  InvalidNamespaceNameError,
  slotKey,
  UnknownNamespaceError,
} from '../src/index.js';

describe('namespace manager', () => {
  test('starts in the default namespace; activate creates and switches', async () => {
    const m = createNamespaceManager({ hostname: 'h1' });
    expect(m.active).toBe(DEFAULT_NAMESPACE);
    expect(m.names()).toEqual([]);
    const ns = await m.activate('foo');
    expect(m.active).toBe('foo');
    expect([...ns.hosts]).toEqual(['h1']);
    expect(m.names()).toEqual(['foo']);
  });

  test('new namespaces start with the peers, or this host when there are none', async () => {
    let peers: string[] = ['p1', 'p2'];
    const m = createNamespaceManager({ hostname: 'h1', initialHosts: () => peers });
    expect([...(await m.getOrCreate('a')).hosts]).toEqual(['p1', 'p2']);
    peers = [];
    expect([...(await m.getOrCreate('b')).hosts]).toEqual(['h1']);
    expect([...(await m.getOrCreate(DEFAULT_NAMESPACE)).hosts]).toEqual(['h1']);
  });

  test('names are validated', async () => {
    const m = createNamespaceManager({ hostname: 'h' });
    await expect(m.getOrCreate('bad/name')).rejects.toBeInstanceOf(InvalidNamespaceNameError);
    await expect(m.getOrCreate('ok-name_1.x')).resolves.toBeTruthy();
  });

  test('slots are per namespace and created once', async () => {
    const m = createNamespaceManager({ hostname: 'h' });
    let made = 0;
    const key = slotKey('count', () => {
      made++;
      return { n: 0 };
    });
    const a = await m.getOrCreate('a');
    const b = await m.getOrCreate('b');
    a.slot(key).n = 5;
    expect(a.slot(key).n).toBe(5);
    expect(b.slot(key).n).toBe(0);
    expect(made).toBe(2);
  });

  test('delete runs listeners, re-activates the default, unknown names fail', async () => {
    const m = createNamespaceManager({ hostname: 'h' });
    const seen: string[] = [];
    m.onCreate((ns) => void seen.push(`create ${ns.name}`));
    m.onDelete((ns) => void seen.push(`delete ${ns.name}`));
    await m.activate('x');
    await m.delete('x');
    expect(m.active).toBe(DEFAULT_NAMESPACE);
    expect(seen).toEqual(['create x', 'delete x']);
    await expect(m.delete('nope')).rejects.toBeInstanceOf(UnknownNamespaceError);
  });

  test('a failing delete listener leaves the namespace registered', async () => {
    const m = createNamespaceManager({ hostname: 'h' });
    m.onDelete(() => {
      throw new Error('busy');
    });
    await m.getOrCreate('y');
    await expect(m.delete('y')).rejects.toThrow('busy');
    expect(m.names()).toEqual(['y']);
  });
});
