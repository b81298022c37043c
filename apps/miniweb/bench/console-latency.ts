// Console latency: key press in noVNC (Chromium) → the frame it causes drawn
// on the canvas, through miniweb's WebSocket and a VNC proxy, against a fake
// RFB server that changes colour on each key. Prints median and p95.
//   node --conditions=source --import tsx apps/miniweb/bench/console-latency.ts [--presses 30]
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { createDaemonPool } from '../src/daemon.js';
import { createMiniweb } from '../src/server.js';
import { tokenStore } from '../src/tokens.js';
import { startFakeDaemon } from '../test-support/fake-daemon.js';

const { values } = parseArgs({ options: { presses: { type: 'string', default: '30' } } });
const presses = Number(values.presses);
const fake = await startFakeDaemon({
  vms: [{ name: 'vm1', namespace: 'minimega', host: 'head', id: 0, state: 'RUNNING' }],
  rfb: { width: 640, height: 480 },
});
const token = 'bench-admin-token';
const web = await createMiniweb({
  daemon: createDaemonPool({ base: fake.base }),
  tokens: tokenStore([[token, 'admin']]),
});
const { url } = await web.listen('127.0.0.1:0');
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
try {
  const page = await browser.newPage();
  await page.goto(`${url}/vm/vm1?token=${token}`);
  await page.waitForSelector('body[data-console="connected"]');
  await page.waitForTimeout(500);
  const times = (await page.evaluate(`(async () => {
    const canvas = document.querySelector('.screen canvas');
    const ctx = canvas.getContext('2d');
    const px = () => Array.from(ctx.getImageData(1, 1, 1, 1).data).join(',');
    const out = [];
    for (let i = 0; i < ${presses}; i++) {
      const before = px();
      const t0 = performance.now();
      window.__rfb.sendKey(0x61, 'KeyA', true);
      window.__rfb.sendKey(0x61, 'KeyA', false);
      await new Promise((resolve) => {
        const check = () => (px() !== before ? resolve() : requestAnimationFrame(check));
        check();
      });
      out.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 30));
    }
    return out;
  })()`)) as number[];
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
  console.log(
    `keypress → frame drawn, ${times.length} presses: median ${q(0.5).toFixed(1)} ms, p95 ${q(0.95).toFixed(1)} ms, max ${times.at(-1)!.toFixed(1)} ms`,
  );
  console.log(
    '(includes the browser animation frame the canvas change is seen in: ≈ 16 ms granularity)',
  );
} finally {
  await browser.close();
  await web.close();
  await fake.close();
}
