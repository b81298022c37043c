import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { detectDatapath, parseDatapath } from '../src/index.js';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = '';
});

it('picks the kernel datapath when the openvswitch module is loaded', async () => {
  dir = await mkdtemp(join(tmpdir(), 'mm-dp-'));
  await mkdir(join(dir, 'openvswitch'));
  expect(detectDatapath({ sysModule: dir, probe: false })).toBe('system');
});

it('falls back to the userspace datapath without the module', async () => {
  dir = await mkdtemp(join(tmpdir(), 'mm-dp-'));
  expect(detectDatapath({ sysModule: dir, probe: false })).toBe('netdev');
});

it('honours an explicit choice', () => {
  expect(detectDatapath({ override: 'netdev' })).toBe('netdev');
  expect(detectDatapath({ override: 'system', probe: false })).toBe('system');
  expect(parseDatapath('auto')).toBe('auto');
  expect(parseDatapath('')).toBeUndefined();
  expect(() => parseDatapath('kernel')).toThrow(/invalid datapath/);
});
