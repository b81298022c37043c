// Real components: a minimega daemon process with two TCG guests, miniweb in
// front of it, and Debian's Chromium driven by playwright-core. The console
// bytes go browser → miniweb → the daemon's VNC proxy → QEMU's VNC socket.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { WebSocket } from 'ws';
import { guestImage, hasBinary, realComponent } from '#test-support';
import { createDaemonPool } from '../src/daemon.js';
import { createMiniweb, type Miniweb } from '../src/server.js';
import { tokenStore } from '../src/tokens.js';
import { type RealDaemon, startRealDaemon } from '../test-support/real-daemon.js';
import { ADMIN, VIEWER } from './helpers.js';

const qemu = realComponent('qemu + guest image tools', () => {
  for (const b of ['qemu-system-x86_64', 'cpio', 'busybox'])
    if (!hasBinary(b)) return `${b} not installed`;
  return undefined;
});
const browser = realComponent('qemu + chromium', () => {
  if (!qemu.ok) return qemu.why;
  return hasBinary('chromium') ? undefined : 'chromium not installed (Debian: chromium)';
});

const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));

/** Reads exact byte counts from a WebSocket's binary messages. */
function wsReader(ws: WebSocket) {
  let buf = Buffer.alloc(0);
  let wake: (() => void) | undefined;
  ws.on('message', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    wake?.();
  });
  return async (n: number, ms = 20_000): Promise<Buffer> => {
    const end = Date.now() + ms;
    while (buf.length < n) {
      if (Date.now() > end) throw new Error(`timed out reading ${n} bytes (have ${buf.length})`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 200);
      });
    }
    const out = buf.subarray(0, n);
    buf = buf.subarray(n);
    return out;
  };
}

describe('miniweb with a real daemon and TCG guests', () => {
  let daemon: RealDaemon | undefined;
  let web: Miniweb | undefined;
  let url = '';

  beforeAll(async () => {
    if (!qemu.ok) return;
    const img = await guestImage();
    daemon = await startRealDaemon();
    await daemon.run('vm config memory 128');
    await daemon.run(`vm config kernel ${img.kernel}`);
    await daemon.run(`vm config initrd ${img.initrd}`);
    await daemon.run('vm config append console=ttyS0 quiet');
    await daemon.run('vm launch kvm g1,g2');
    web = await createMiniweb({
      daemon: createDaemonPool({ base: daemon.base }),
      tokens: tokenStore([
        [ADMIN, 'admin'],
        [VIEWER, 'viewer'],
      ]),
      screenshotTtlMs: 1000,
    });
    url = (await web.listen('127.0.0.1:0')).url;
  }, 180_000);

  afterAll(async () => {
    await web?.close();
    await daemon?.[Symbol.asyncDispose]();
  });

  qemu.test('the console WebSocket carries the RFB banner and a framebuffer update', async () => {
    const start = await fetch(`${url}/api/v1/vms/g1/start`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(start.status).toBe(200);
    expect(((await start.json()) as { vm: { state: string } }).vm.state).toBe('RUNNING');
    const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/vms/g1/vnc`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    const read = wsReader(ws);
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    try {
      expect((await read(12)).toString()).toMatch(/^RFB 003\.00[38]\n$/);
      ws.send(Buffer.from('RFB 003.008\n'));
      const n = (await read(1))[0]!;
      const types = await read(n);
      expect([...types]).toContain(1);
      ws.send(Buffer.from([1]));
      expect((await read(4)).readUInt32BE(0)).toBe(0);
      ws.send(Buffer.from([1])); // shared
      const init = await read(24);
      const [w, h] = [init.readUInt16BE(0), init.readUInt16BE(2)];
      expect(w).toBeGreaterThan(0);
      await read(init.readUInt32BE(20));
      const req = Buffer.from([3, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
      req.writeUInt16BE(w, 6);
      req.writeUInt16BE(h, 8);
      ws.send(req);
      const head = await read(4);
      expect(head[0]).toBe(0); // FramebufferUpdate
      expect(head.readUInt16BE(2)).toBeGreaterThan(0);
    } finally {
      ws.close();
    }
  });

  browser.test(
    'in Chromium: log in, both VMs listed, start one, console draws, off-screen thumbnail not fetched',
    async () => {
      await mkdir(ARTIFACTS, { recursive: true });
      const b = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: ['--no-sandbox'],
      });
      try {
        const ctx = await b.newContext({ viewport: { width: 1200, height: 700 } });
        const page = await ctx.newPage();
        await page.goto(`${url}/login`);
        await page.fill('input[name=token]', ADMIN);
        await page.click('button[type=submit]');
        await page.waitForSelector('tr[data-vm="g2"]');
        expect(await page.locator('tbody tr').count()).toBe(2);
        await page.waitForSelector('tr[data-vm="g1"] .badge.state-running');
        expect(await page.textContent('tr[data-vm="g2"] .badge')).toBe('BUILDING');
        await page.click('tr[data-vm="g2"] button.act-start');
        await page.waitForSelector('tr[data-vm="g2"] .badge.state-running', { timeout: 20_000 });
        await page.screenshot({ path: `${ARTIFACTS}vm-table.png` });

        // the console: noVNC over miniweb's WebSocket; wait until the canvas has drawn something
        await page.goto(`${url}/vm/g1`);
        await page.waitForSelector('body[data-console="connected"]', { timeout: 30_000 });
        // (a string: this file is type-checked without the DOM library)
        const drawn = await page.waitForFunction(
          `(() => {
            const c = document.querySelector('.screen canvas');
            if (!c || c.width === 0) return false;
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] > 60) return true;
            return false;
          })()`,
          undefined,
          { timeout: 60_000, polling: 500 },
        );
        expect(await drawn.jsonValue()).toBe(true);
        await page.screenshot({ path: `${ARTIFACTS}console.png` });

        // a short window: only g1's row is on screen, so only g1's thumbnail is fetched
        const small = await ctx.newPage();
        await small.setViewportSize({ width: 1200, height: 190 });
        const shots: string[] = [];
        small.on('request', (r) => {
          if (r.url().includes('/screenshot.png')) shots.push(new URL(r.url()).pathname);
        });
        await small.goto(`${url}/`);
        await small.waitForSelector('tr[data-vm="g2"]');
        const g2Box = await small.locator('tr[data-vm="g2"]').boundingBox();
        expect(g2Box!.y).toBeGreaterThan(190);
        await small.waitForTimeout(3000);
        expect(shots).toContain('/api/v1/vms/g1/screenshot.png');
        expect(shots).not.toContain('/api/v1/vms/g2/screenshot.png');
        await small.screenshot({ path: `${ARTIFACTS}short-window.png` });

        for (const p of ['/hosts', '/mesh']) {
          await page.goto(`${url}${p}`);
          await page.waitForSelector('body[data-ready="true"]');
          await page.screenshot({ path: `${ARTIFACTS}${p.slice(1)}.png` });
        }
      } finally {
        await b.close();
      }
    },
    180_000,
  );
});
