import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  createNamespaceManager,
  createNamespaceTunnels,
  createNamespaceVmConfigs,
  UnknownTunnelBridgeError,
  UnknownVmConfigError,
} from '../src/index.js';

describe('namespace vm configs', () => {
  test('start at the defaults; reset brings them back', () => {
    const v = createNamespaceVmConfigs();
    expect(v.current.memory).toBe(2048);
    v.current.memory = 512;
    expect(v.current.memory).toBe(512);
    v.reset();
    expect(v.current.memory).toBe(2048);
  });

  test('save keeps a copy: later edits change neither the saved one nor a restored one', () => {
    const v = createNamespaceVmConfigs();
    v.current.vcpus = 4;
    v.current.tags.role = 'db';
    v.save('a');
    v.current.vcpus = 8;
    v.current.tags.role = 'web';
    expect(v.saved('a').vcpus).toBe(4);
    v.restore('a');
    expect(v.current.vcpus).toBe(4);
    expect(v.current.tags).toEqual({ role: 'db' });
    v.current.tags.role = 'x';
    expect(v.saved('a').tags).toEqual({ role: 'db' });
    // saved() hands out a copy too
    v.saved('a').vcpus = 99;
    expect(v.saved('a').vcpus).toBe(4);
  });

  test('saving a name again replaces it; names keep first-saved order', () => {
    const v = createNamespaceVmConfigs();
    v.save('b');
    v.save('a');
    v.current.memory = 1;
    v.save('b');
    expect(v.savedNames()).toEqual(['b', 'a']);
    expect(v.saved('b').memory).toBe(1);
  });

  test('an unknown saved config is a typed error with minimega’s words', () => {
    const v = createNamespaceVmConfigs();
    expect(() => v.restore('nope')).toThrow(UnknownVmConfigError);
    try {
      v.saved('nope');
      expect.unreachable();
    } catch (err) {
      expect((err as UnknownVmConfigError).code).toBe('ERR_NS_UNKNOWN_VM_CONFIG');
      expect((err as Error).message).toBe('config nope does not exist');
    }
  });

  test('replace copies (vm config clone); clear drops saved configs', () => {
    const v = createNamespaceVmConfigs();
    const other = createNamespaceVmConfigs();
    other.current.memory = 64;
    v.replace(other.current);
    other.current.memory = 128;
    expect(v.current.memory).toBe(64);
    v.save('s');
    v.clear();
    expect(v.current.memory).toBe(2048);
    expect(v.savedNames()).toEqual([]);
  });
});

describe('namespace tunnels', () => {
  test('add, get, list, remove', () => {
    const t = createNamespaceTunnels();
    t.add('br1', 7);
    t.add('br0', 9);
    t.add('br1', 8);
    expect(t.list()).toEqual([
      { bridge: 'br1', key: 8 },
      { bridge: 'br0', key: 9 },
    ]);
    expect(t.get('br0')).toEqual({ bridge: 'br0', key: 9 });
    expect(t.has('br0')).toBe(true);
    expect(t.remove('br0')).toBe(true);
    expect(t.remove('br0')).toBe(false);
    expect(t.has('br0')).toBe(false);
    expect(t.list()).toEqual([{ bridge: 'br1', key: 8 }]);
  });

  test('a bridge this namespace did not make is a typed error', () => {
    const t = createNamespaceTunnels();
    expect(() => t.get('x')).toThrow(UnknownTunnelBridgeError);
    expect(() => t.get('x')).toThrow('bridge is not associated with namespace');
  });
});

describe('each namespace owns its own', () => {
  test('vm configs and tunnels are per namespace and dropped with it', async () => {
    const m = createNamespaceManager({ hostname: 'h' });
    const a = await m.getOrCreate('a');
    const b = await m.getOrCreate('b');
    a.vmConfigs.current.vcpus = 3;
    a.vmConfigs.save('s');
    a.tunnels.add('br', 1);
    expect(b.vmConfigs.current.vcpus).toBe(1);
    expect(b.vmConfigs.savedNames()).toEqual([]);
    expect(b.tunnels.list()).toEqual([]);
    await m.delete('a');
    const again = await m.getOrCreate('a');
    expect(again.vmConfigs.savedNames()).toEqual([]);
    expect(again.tunnels.list()).toEqual([]);
  });
});

describe('namespace vnc sessions', () => {
  test('each namespace has its own; deleting the namespace finishes its recordings', async () => {
    const m = createNamespaceManager({ hostname: 'h1' });
    const a = await m.getOrCreate('a');
    const b = await m.getOrCreate('b');
    expect(a.vnc).not.toBe(b.vnc);
    const file = join(mkdtempSync(join(tmpdir(), 'ns-vnc-')), 'vm.kb');
    await a.vnc.startRecording('kb', 'vm', file, async () => '/nonexistent/vnc');
    a.vnc.recordInput('vm', { type: 'PointerEvent', mask: 1, x: 2, y: 3 });
    expect(b.vnc.list()).toEqual([]);
    await m.delete('a');
    expect(a.vnc.kb.size).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/^\d+:PointerEvent,1,2,3\n$/);
    expect((await m.getOrCreate('a')).vnc.list()).toEqual([]);
  });
});
