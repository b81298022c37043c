// The console WebSocket against the fake daemon's VNC proxy: tokens as for
// every route, the RFB stream both ways, view-only for viewers, and the
// Origin check.
import { describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { ADMIN, rig, VIEWER } from './helpers.js';

function open(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ ws: WebSocket; first: Promise<Buffer> } | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    const first = new Promise<Buffer>((r) => ws.once('message', (d) => r(d as Buffer)));
    ws.once('open', () => resolve({ ws, first }));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => {});
  });
}

describe('GET /api/v1/vms/{name}/vnc', () => {
  test('no/bad token → 401; viewer and admin get the RFB stream, the viewer view-only', async () => {
    await using r = await rig();
    const { url } = await r.web.listen('127.0.0.1:0');
    const ws = url.replace('http', 'ws');
    expect(await open(`${ws}/api/v1/vms/vm1/vnc`)).toBe(401);
    expect(await open(`${ws}/api/v1/vms/vm1/vnc`, { authorization: 'Bearer wrong-token-x' })).toBe(
      401,
    );
    for (const [token, viewOnly] of [
      [VIEWER, true],
      [ADMIN, false],
    ] as const) {
      const c = await open(`${ws}/api/v1/vms/vm1/vnc`, { authorization: `Bearer ${token}` });
      if (typeof c === 'number') throw new Error(`status ${c}`);
      expect((await c.first).toString()).toBe('RFB 003.008\n');
      c.ws.close();
      expect(r.fake.vncRequests.at(-1)).toEqual({
        namespace: 'minimega',
        vm: 'vm1',
        host: 'head',
        viewOnly,
      });
    }
    // ?token= works for the browser's WebSocket (no headers there)
    const q = await open(`${ws}/api/v1/vms/vm2/vnc?token=${ADMIN}`);
    if (typeof q === 'number') throw new Error(`status ${q}`);
    await q.first;
    q.ws.close();
    // the VM on another host is asked for by host: the daemon relays it
    expect(r.fake.vncRequests.at(-1)).toMatchObject({ vm: 'vm2', host: 'node2' });
  });

  test('a cross-site page cannot open a console with the session cookie', async () => {
    await using r = await rig();
    const { url } = await r.web.listen('127.0.0.1:0');
    const login = await fetch(`${url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: ADMIN }),
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const ws = url.replace('http', 'ws');
    expect(await open(`${ws}/api/v1/vms/vm1/vnc`, { cookie, origin: 'http://evil.example' })).toBe(
      403,
    );
    const ok = await open(`${ws}/api/v1/vms/vm1/vnc`, { cookie, origin: url });
    if (typeof ok === 'number') throw new Error(`status ${ok}`);
    ok.ws.close();
  });

  test('an unknown VM closes the socket with 4404', async () => {
    await using r = await rig();
    const { url } = await r.web.listen('127.0.0.1:0');
    const c = await open(`${url.replace('http', 'ws')}/api/v1/vms/ghost/vnc`, {
      authorization: `Bearer ${ADMIN}`,
    });
    if (typeof c === 'number') throw new Error(`status ${c}`);
    const code = await new Promise<number>((res) => c.ws.once('close', (n) => res(n)));
    expect(code).toBe(4404);
  });
});
