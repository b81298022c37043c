// RunnerClient is the daemon's MinimegaClient plus the runner's own checks:
// these pin what the runner adds (schema check, status replies dropped, a
// time limit per reply).
import { describe, expect, it } from 'vitest';
import { RunnerClient } from '../src/client.js';
import { type CannedReply, fakeDaemon, simple } from './fake-daemon.js';

const status: CannedReply = { Resp: null, Rendered: 'working', More: false, Status: true };
// a response without Host passes the daemon client's shape check, not ReplySchema
const noHost = { Resp: [{ Response: 'x' }], Rendered: '', More: false, Status: false };

function answer(cmd: string): CannedReply[] {
  if (cmd === 'slow') return [];
  if (cmd === 'bad') return [noHost as unknown as CannedReply];
  return [status, simple(cmd, [], true), simple('last')];
}

describe('RunnerClient', () => {
  it('returns the non-status replies of a command, up to the last', async () => {
    await using d = await fakeDaemon(answer);
    const c = await RunnerClient.dial(d.socket);
    try {
      const replies = await c.run('echo hi');
      expect(replies.map((r) => [r.Rendered, r.More, r.Status])).toEqual([
        ['echo hi', true, false],
        ['last', false, false],
      ]);
      expect(d.received).toEqual(['echo hi']);
    } finally {
      c.close();
    }
  });

  it('a reply that fails the schema is ERR_BAD_REPLY, for this and later commands', async () => {
    await using d = await fakeDaemon(answer);
    const c = await RunnerClient.dial(d.socket);
    try {
      await expect(c.run('bad')).rejects.toMatchObject({ code: 'ERR_BAD_REPLY' });
      await expect(c.run('echo hi')).rejects.toMatchObject({ code: 'ERR_BAD_REPLY' });
      expect(d.received).toEqual(['bad']);
    } finally {
      c.close();
    }
  });

  it('no reply within the limit is ERR_TIMEOUT', async () => {
    await using d = await fakeDaemon(answer);
    const c = await RunnerClient.dial(d.socket);
    try {
      await expect(c.run('slow', 100)).rejects.toMatchObject({
        code: 'ERR_TIMEOUT',
        message: 'no reply within 100 ms',
      });
    } finally {
      c.close();
    }
  });

  it('a socket nobody listens on is ERR_DIAL', async () => {
    await using d = await fakeDaemon(answer);
    await expect(RunnerClient.dial(`${d.socket}-missing`)).rejects.toMatchObject({
      code: 'ERR_DIAL',
    });
  });
});
