// Page load of the VM table with 1,000 VMs on a fake daemon, in Chromium:
// requests and bytes until the table is usable (target ≤ 20 requests,
// ≤ 1 MB; the original's screenshot page: 1,424 requests, 54 MB, #1310),
// then after thumbnails of the visible rows settled. Prints figures only.
//   node --conditions=source --import tsx apps/miniweb/bench/page-load.ts [--vms 1000]
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { createDaemonPool } from '../src/daemon.js';
import { createMiniweb } from '../src/server.js';
import { tokenStore } from '../src/tokens.js';
import { type FakeVm, startFakeDaemon } from '../test-support/fake-daemon.js';

const { values } = parseArgs({ options: { vms: { type: 'string', default: '1000' } } });
const n = Number(values.vms);
const vms: FakeVm[] = Array.from({ length: n }, (_, i) => ({
  name: `vm${String(i).padStart(4, '0')}`,
  namespace: 'minimega',
  host: `node${i % 10}`,
  id: Math.floor(i / 10),
  state: 'RUNNING',
  vcpus: 1,
  memory: 512,
  vlans: ['100'],
  tags: { exp: 'bench' },
}));
const fake = await startFakeDaemon({ vms });
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
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await ctx.request.post(`${url}/api/v1/session`, { data: { token } });
  const page = await ctx.newPage();
  const seen: { url: string; bytes: number }[] = [];
  page.on('requestfinished', async (r) => {
    const s = await r.sizes();
    seen.push({ url: r.url(), bytes: s.responseBodySize + s.responseHeadersSize });
  });
  const t0 = performance.now();
  await page.goto(`${url}/`);
  await page.waitForSelector('body[data-ready="true"]');
  const usable = performance.now() - t0;
  const apiAt = await page.evaluate(
    `performance.getEntriesByType("resource").filter((e) => e.name.endsWith("/api/v1/vms")).map((e) => Math.round(e.responseEnd))`,
  );
  const readyAt = await page.evaluate(`Math.round(performance.now())`);
  console.log(`in page: VM list received at ${apiAt} ms, table drawn by ${readyAt} ms`);
  await page.waitForTimeout(300);
  const atUsable = [...seen];
  await page.waitForTimeout(3000);
  const sum = (xs: { bytes: number }[]) => xs.reduce((s, x) => s + x.bytes, 0);
  const shots = seen.filter((s) => s.url.includes('/screenshot.png'));
  const rows = await page.locator('tbody tr').count();
  console.log(`VMs: ${n} (rows drawn: ${rows})`);
  console.log(
    `until usable: ${atUsable.length} requests, ${(sum(atUsable) / 1024).toFixed(0)} KiB, ${usable.toFixed(0)} ms (target ≤ 20 requests, ≤ 1024 KiB)`,
  );
  console.log(
    `after 3 s: ${seen.length} requests, ${(sum(seen) / 1024).toFixed(0)} KiB; screenshots fetched: ${shots.length} (visible rows only)`,
  );
  console.log(
    `daemon captures: ${fake.commands.filter((c) => c.includes('vm screenshot')).length}`,
  );
  for (const s of atUsable)
    console.log(`  ${(s.bytes / 1024).toFixed(1).padStart(7)} KiB  ${new URL(s.url).pathname}`);
} finally {
  await browser.close();
  await web.close();
  await fake.close();
}
