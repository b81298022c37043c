import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { VncSessions } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'vnc-sessions-'));
const here = async () => '/nonexistent/vnc';

describe('VncSessions', () => {
  test('kb recording: input recorded per VM, listed, stopped once; duplicates refused', async () => {
    const s = new VncSessions();
    const file = join(dir, 'a.kb');
    await s.startRecording('kb', 'a', file, here);
    await expect(s.startRecording('kb', 'a', file, here)).rejects.toThrow(
      'kb recording for a already running',
    );
    s.recordInput('a', { type: 'KeyEvent', down: true, key: 0x61 });
    s.recordInput('b', { type: 'KeyEvent', down: true, key: 0x62 });
    const rows = s.list();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.slice(0, 2)).toEqual(['a', 'record kb']);
    expect(rows[0]![3]).toBe(file);
    await s.stopRecording('kb', 'a');
    await expect(s.stopRecording('kb', 'a')).rejects.toThrow('kb recording a not found');
    expect(readFileSync(file, 'utf8')).toMatch(/^\d+:KeyEvent,true,a\n$/);
    expect(s.list()).toEqual([]);
  });

  test('a VM that is not here starts nothing; unknown playbacks are errors', async () => {
    const s = new VncSessions();
    const gone = () => Promise.reject(new Error('vm not found: x'));
    await expect(s.startRecording('kb', 'x', join(dir, 'x.kb'), gone)).rejects.toThrow(
      'vm not found: x',
    );
    expect(s.kb.size).toBe(0);
    expect(s.playback('x')).toBeUndefined();
    await expect(s.stopPlayback('x')).rejects.toThrow('kb playback not found for x');
  });

  test('stopAll finishes every recording', async () => {
    const s = new VncSessions();
    await s.startRecording('kb', 'a', join(dir, 'all-a.kb'), here);
    await s.startRecording('kb', 'b', join(dir, 'all-b.kb'), here);
    await s.stopAll();
    expect(s.list()).toEqual([]);
    expect(s.kb.size).toBe(0);
  });
});
