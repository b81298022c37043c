// Screenshot caching, namespace scoping and the mapping of daemon rows.
import { describe, expect, test } from 'vitest';
import { ScreenshotCache } from '../src/screenshots.js';
import { parseAdjacency, parseGoDuration, parseList } from '../src/tables.js';
import { ADMIN, rig } from './helpers.js';

const auth = { authorization: `Bearer ${ADMIN}` };

describe('screenshots', () => {
  test('concurrent viewers share one capture; it is cached until the TTL; ETag gives 304', async () => {
    await using r = await rig({ screenshotTtlMs: 60_000 });
    r.fake.screenshotDelayMs = 100;
    const url = '/api/v1/vms/vm1/screenshot.png?size=300';
    const shots = await Promise.all(
      Array.from({ length: 5 }, () => r.web.app.inject({ url, headers: auth })),
    );
    expect(shots.map((s) => s.statusCode)).toEqual([200, 200, 200, 200, 200]);
    const captures = () => r.fake.commands.filter((c) => c.includes('vm screenshot')).length;
    expect(captures()).toBe(1);
    const again = await r.web.app.inject({ url, headers: auth });
    expect(again.rawPayload.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
    expect(captures()).toBe(1);
    const etag = again.headers.etag as string;
    const notModified = await r.web.app.inject({
      url,
      headers: { ...auth, 'if-none-match': etag },
    });
    expect(notModified.statusCode).toBe(304);
    // another size is another capture
    await r.web.app.inject({ url: '/api/v1/vms/vm1/screenshot.png?size=100', headers: auth });
    expect(captures()).toBe(2);
  });

  test('an expired entry is captured again', async () => {
    let now = 0;
    const cache = new ScreenshotCache({ ttlMs: 1000, now: () => now });
    let n = 0;
    const cap = async () => Buffer.from([n++]);
    expect((await cache.get('k', cap)).png[0]).toBe(0);
    now = 999;
    expect((await cache.get('k', cap)).png[0]).toBe(0);
    now = 1000;
    expect((await cache.get('k', cap)).png[0]).toBe(1);
    expect(cache.captures).toBe(2);
  });

  test('a failed capture is not cached and says why', async () => {
    await using r = await rig();
    const res = await r.web.app.inject({ url: '/api/v1/vms/vm2/screenshot.png', headers: auth });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.message).toMatch(/not running/);
    const missing = await r.web.app.inject({
      url: '/api/v1/vms/ghost/screenshot.png',
      headers: auth,
    });
    expect(missing.statusCode).toBe(404);
    const bad = await r.web.app.inject({
      url: '/api/v1/vms/vm1/screenshot.png?size=-3',
      headers: auth,
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/size/);
  });
});

describe('namespaces', () => {
  test('without -namespace, ?namespace= picks one; same names in two namespaces stay apart', async () => {
    await using r = await rig();
    const def = (await r.web.app.inject({ url: '/api/v1/vms', headers: auth })).json();
    expect(def.vms.map((v: { name: string }) => v.name).sort()).toEqual(['vm1', 'vm2', 'vmdel']);
    const other = (
      await r.web.app.inject({ url: '/api/v1/vms?namespace=other', headers: auth })
    ).json();
    expect(
      other.vms.map((v: { name: string; host: string }) => `${v.name}@${v.host}`).sort(),
    ).toEqual(['other1@head', 'vm1@node2']);
    const vm1 = (
      await r.web.app.inject({ url: '/api/v1/vms/vm1?namespace=other', headers: auth })
    ).json();
    expect(vm1).toMatchObject({ namespace: 'other', host: 'node2', state: 'PAUSED' });
  });

  test('-namespace pins every command and refuses other namespaces', async () => {
    await using r = await rig({ namespace: 'other' });
    const vms = (await r.web.app.inject({ url: '/api/v1/vms', headers: auth })).json();
    expect(vms.vms.map((v: { name: string }) => v.name).sort()).toEqual(['other1', 'vm1']);
    const refused = await r.web.app.inject({
      url: '/api/v1/vms?namespace=minimega',
      headers: auth,
    });
    expect(refused.statusCode).toBe(403);
    await r.web.app.inject({ method: 'POST', url: '/api/v1/vms/vm1/start', headers: auth });
    await r.web.app.inject({ url: '/api/v1/vms/vm1/screenshot.png', headers: auth });
    await r.web.app.inject({
      method: 'POST',
      url: '/api/v1/command',
      headers: auth,
      payload: { command: 'echo hi' },
    });
    const nsCommands = r.fake.commands.filter(
      (c) => !c.startsWith('mesh list') && c !== 'namespace',
    );
    expect(nsCommands.length).toBeGreaterThan(3);
    for (const c of nsCommands) expect(c).toMatch(/^(mesh send \S+ )?namespace other /);
    const nss = (await r.web.app.inject({ url: '/api/v1/namespaces', headers: auth })).json();
    expect(nss.namespaces.map((n: { name: string }) => n.name)).toEqual(['other']);
    // the page carries the pinned namespace to its script
    const page = await r.web.app.inject({ url: '/', headers: auth });
    expect(page.body).toContain('data-namespace="other"');
  });
});

describe('errors and input', () => {
  test('actions on unknown VMs are 404; bad bodies are 400 naming the field', async () => {
    await using r = await rig();
    const missing = await r.web.app.inject({
      method: 'POST',
      url: '/api/v1/vms/ghost/start',
      headers: auth,
    });
    expect(missing.statusCode).toBe(404);
    const badAction = await r.web.app.inject({
      method: 'POST',
      url: '/api/v1/vms/vm1/explode',
      headers: auth,
    });
    expect(badAction.statusCode).toBe(400);
    const badLaunch = await r.web.app.inject({
      method: 'POST',
      url: '/api/v1/vms',
      headers: auth,
      payload: { names: ['bad name!'] },
    });
    expect(badLaunch.statusCode).toBe(400);
    expect(badLaunch.json().error.message).toMatch(/names/);
    const notJson = await r.web.app.inject({
      method: 'POST',
      url: '/api/v1/command',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{nope',
    });
    expect(notJson.statusCode).toBe(400);
  });

  test('launch runs vm config then vm launch and returns the new VMs', async () => {
    await using r = await rig();
    const res = await r.web.app.inject({
      method: 'POST',
      url: '/api/v1/vms',
      headers: auth,
      payload: { names: ['a1', 'a2'], config: { memory: 256, append: ['console=ttyS0', 'quiet'] } },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().vms.map((v: { name: string }) => v.name)).toEqual(['a1', 'a2']);
    expect(r.fake.commands).toContain('vm config memory 256');
    expect(r.fake.commands).toContain('vm config append console=ttyS0 quiet');
    expect(r.fake.commands).toContain('vm launch kvm a1,a2');
  });

  test('a dead daemon is a 502 saying so, not an empty table', async () => {
    await using r = await rig();
    await r.fake.close();
    const res = await r.web.app.inject({ url: '/api/v1/vms', headers: auth });
    expect(res.statusCode).toBe(502);
    expect(res.json().error.code).toBe('daemon_unreachable');
  });

  test('mesh, hosts and openapi', async () => {
    await using r = await rig();
    const mesh = (await r.web.app.inject({ url: '/api/v1/mesh', headers: auth })).json();
    expect(mesh).toEqual({ local: 'head', nodes: ['head', 'node2'], edges: [['head', 'node2']] });
    const hosts = (await r.web.app.inject({ url: '/api/v1/hosts', headers: auth })).json();
    expect(hosts.hosts.map((h: { name: string }) => h.name)).toEqual(['head', 'node2']);
    expect(hosts.hosts[0]).toMatchObject({ cpus: 2, load: [0.5, 0.4, 0.3], uptime: 3600 });
    const doc = (await r.web.app.inject({ url: '/api/v1/openapi.json', headers: auth })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/api/v1/vms/{name}/screenshot.png');
    expect(
      doc.paths['/api/v1/vms'].post.requestBody.content['application/json'].schema.properties.names,
    ).toBeDefined();
  });
});

describe('tables', () => {
  test('Go durations, lists and adjacency', () => {
    expect(parseGoDuration('1h2m3.5s')).toBe(3723.5);
    expect(parseGoDuration('250ms')).toBe(0.25);
    expect(parseGoDuration('soon')).toBeNaN();
    expect(parseList('[100, A, other//B]')).toEqual(['100', 'A', 'other//B']);
    expect(parseList('[]')).toEqual([]);
    expect(parseAdjacency('a\n |--b\n |--c\nb\n |--a\nc\n |--a\n')).toEqual({
      nodes: ['a', 'b', 'c'],
      edges: [
        ['a', 'b'],
        ['a', 'c'],
      ],
    });
  });
});
