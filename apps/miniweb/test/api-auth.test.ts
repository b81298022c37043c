// The auth matrix: no token, a bad token, a viewer and an admin against
// every route, and each 2xx JSON body checked against the route's schema.
import { describe, expect, test } from 'vitest';
import type { z } from 'zod';
import { API_ROUTES } from '../src/api-routes.js';
import { ADMIN, rig, VIEWER } from './helpers.js';

interface Case {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  body?: unknown;
  admin: boolean;
  /** the route's JSON schema, when it answers JSON */
  schema?: z.ZodType;
  status?: number;
}

function apiCase(path: string, method: Case['method'], url: string, body?: unknown): Case {
  const r = API_ROUTES.find((x) => x.path === path && x.method === method);
  if (!r) throw new Error(`no route ${method} ${path}`);
  return {
    method,
    url: `/api/v1${url}`,
    body,
    admin: r.role === 'admin',
    ...(typeof r.response === 'object' ? { schema: r.response } : {}),
    status: r.status ?? 200,
  };
}

const CASES: Case[] = [
  apiCase('/whoami', 'GET', '/whoami'),
  apiCase('/vms', 'GET', '/vms'),
  apiCase('/vms', 'POST', '/vms', { names: ['new1'], config: { memory: 256, net: ['100'] } }),
  apiCase('/vms/:name', 'GET', '/vms/vm1'),
  apiCase('/vms/:name', 'DELETE', '/vms/vmdel'),
  apiCase('/vms/:name/:action', 'POST', '/vms/vm2/start'),
  apiCase('/vms/:name/screenshot.png', 'GET', '/vms/vm1/screenshot.png?size=100'),
  apiCase('/hosts', 'GET', '/hosts'),
  apiCase('/mesh', 'GET', '/mesh'),
  apiCase('/vlans', 'GET', '/vlans'),
  apiCase('/namespaces', 'GET', '/namespaces'),
  apiCase('/command', 'POST', '/command', { command: 'echo hi' }),
  { method: 'GET', url: '/api/v1/openapi.json', admin: false },
  // pages
  { method: 'GET', url: '/', admin: false },
  { method: 'GET', url: '/hosts', admin: false },
  { method: 'GET', url: '/mesh', admin: false },
  { method: 'GET', url: '/vm/vm1', admin: false },
];

test('every API route is in the matrix', () => {
  const covered = new Set(CASES.map((c) => `${c.method} ${c.url.split('?')[0]}`));
  for (const r of API_ROUTES) {
    if (r.response === 'websocket') continue; // api-vnc.test.ts
    const sample = CASES.find(
      (c) =>
        c.method === r.method &&
        new RegExp(`^/api/v1${r.path.replace(/:\w+/g, '[^/]+').replace('.', '\\.')}$`).test(
          c.url.split('?')[0]!,
        ),
    );
    expect(sample, `${r.method} ${r.path}`).toBeDefined();
  }
  expect(covered.size).toBe(CASES.length);
});

describe('auth matrix', () => {
  test.each(CASES)('$method $url', async (c) => {
    await using r = await rig();
    const send = (headers: Record<string, string>) =>
      r.web.app.inject({
        method: c.method,
        url: c.url,
        headers: { ...headers, ...(c.body ? { 'content-type': 'application/json' } : {}) },
        ...(c.body ? { payload: JSON.stringify(c.body) } : {}),
      });
    const none = await send({});
    expect(none.statusCode, 'no token').toBe(401);
    const bad = await send({ authorization: 'Bearer nope-nope-nope' });
    expect(bad.statusCode, 'bad token').toBe(401);
    const badQuery = await r.web.app.inject({
      method: c.method,
      url: `${c.url}${c.url.includes('?') ? '&' : '?'}token=wrong`,
    });
    expect(badQuery.statusCode, 'bad ?token=').toBe(401);
    if (c.url.startsWith('/api/')) {
      expect(none.json()).toMatchObject({ error: { code: 'unauthorized' } });
    }
    const viewer = await send({ authorization: `Bearer ${VIEWER}` });
    if (c.admin) {
      expect(viewer.statusCode, 'viewer').toBe(403);
      expect(viewer.json()).toMatchObject({ error: { code: 'forbidden' } });
    } else {
      expect(viewer.statusCode, `viewer: ${viewer.body}`).toBe(c.status ?? 200);
    }
    const commandsBefore = r.fake.commands.length;
    const admin = await send({ authorization: `Bearer ${ADMIN}` });
    expect(admin.statusCode, `admin: ${admin.body}`).toBe(c.status ?? 200);
    if (c.admin) {
      // the viewer's refusal reached no daemon command
      expect(
        r.fake.commands
          .slice(0, commandsBefore)
          .some((x) => /vm (start|flush|launch)|echo/.test(x)),
      ).toBe(false);
    }
    if (c.schema) {
      const parsed = c.schema.safeParse(admin.json());
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    }
    if (c.url.includes('screenshot')) expect(admin.headers['content-type']).toBe('image/png');
    if (!c.url.startsWith('/api/')) expect(admin.headers['content-type']).toMatch(/text\/html/);
  });

  test('unknown paths need a token before they 404', async () => {
    await using r = await rig();
    expect((await r.web.app.inject({ url: '/api/v1/nope' })).statusCode).toBe(401);
    const res = await r.web.app.inject({
      url: '/api/v1/nope',
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(res.statusCode).toBe(404);
  });

  test('the login page and assets are public; pages without a token show the login page', async () => {
    await using r = await rig();
    expect((await r.web.app.inject({ url: '/login' })).statusCode).toBe(200);
    const page = await r.web.app.inject({ url: '/' });
    expect(page.statusCode).toBe(401);
    expect(page.body).toContain('data-page="login"');
  });
});

describe('sessions', () => {
  test('?token= sets an HttpOnly SameSite cookie and redirects without the token', async () => {
    await using r = await rig();
    const res = await r.web.app.inject({ url: `/?token=${VIEWER}` });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/');
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^mw_session=[\w-]+; Path=\/; HttpOnly; SameSite=Strict/);
    const id = cookie.split(';')[0]!;
    const vms = await r.web.app.inject({ url: '/api/v1/vms', headers: { cookie: id } });
    expect(vms.statusCode).toBe(200);
    // the cookie carries the viewer role, not more
    const start = await r.web.app.inject({
      method: 'POST',
      url: '/api/v1/vms/vm1/stop',
      headers: { cookie: id },
    });
    expect(start.statusCode).toBe(403);
  });

  test('POST /session logs in; cross-origin cookie writes are refused; logout ends it', async () => {
    await using r = await rig();
    const bad = await r.web.app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { token: 'wrong-token' },
    });
    expect(bad.statusCode).toBe(401);
    const ok = await r.web.app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { token: ADMIN },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ role: 'admin', namespace: '' });
    const cookie = String(ok.headers['set-cookie']).split(';')[0]!;
    const cross = await r.web.app.inject({
      method: 'POST',
      url: '/api/v1/vms/vm1/stop',
      headers: { cookie, origin: 'http://evil.example', host: 'localhost:80' },
    });
    expect(cross.statusCode).toBe(403);
    const same = await r.web.app.inject({
      method: 'POST',
      url: '/api/v1/vms/vm1/stop',
      headers: { cookie, origin: 'http://localhost:80', host: 'localhost:80' },
    });
    expect(same.statusCode).toBe(200);
    await r.web.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie } });
    expect((await r.web.app.inject({ url: '/api/v1/vms', headers: { cookie } })).statusCode).toBe(
      401,
    );
  });
});
