// `deploy launch` for real: a head daemon (the single executable) deploys
// itself over ssh to hosts in network namespaces, each with its own sshd,
// hostname and /tmp, and without the checkout or node visible.

import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MinimegaClient, type WireResp } from '@mm/minimega/client';
import { afterAll, beforeAll, expect } from 'vitest';
import { realComponent, tempDir } from '#test-support';
import { repoRoot } from '../src/daemon-entry.js';
import { type Lab, startLab } from '../src/lab.js';
import { ensureSea } from '../src/sea.js';
import { makeKeyPair, SSHD } from '../src/sshd.js';
import { netns } from './helpers.js';

const sshd = realComponent(
  'sshd',
  () =>
    netns.why ||
    (existsSync(SSHD) ? undefined : `${SSHD} missing (apt-get install openssh-server)`),
);

let lab: Lab;
let head: MinimegaClient;
let hidden: string[];

async function run(cmd: string): Promise<WireResp[]> {
  const replies = await head.runAll(cmd);
  return replies.filter((r) => !r.Status).flatMap((r) => r.Resp ?? []);
}

async function meshSize(): Promise<number> {
  const [r] = await run('mesh status');
  return Number(r?.Tabular?.[0]?.[0] ?? 0);
}

/** rows of the deploy table by host */
function rows(resp: WireResp[]): Map<string, Record<string, string>> {
  const t = resp.find((r) => r.Header);
  const out = new Map<string, Record<string, string>>();
  for (const row of t?.Tabular ?? []) {
    out.set(row[0]!, Object.fromEntries(t!.Header!.map((h, i) => [h, row[i] ?? ''])));
  }
  return out;
}

beforeAll(async () => {
  if (!sshd.ok) return;
  const exe = await ensureSea();
  const keys = await tempDir('deploy-keys');
  const good = await makeKeyPair(join(keys.path, 'id'));
  const other = await makeKeyPair(join(keys.path, 'other'));
  hidden = [repoRoot.replace(/\/$/, ''), '/usr/bin/node', process.execPath];
  const remote = { hide: hidden, privateTmp: true };
  lab = await startLab([
    // the head keeps the machine's /tmp: it runs the executable from the
    // checkout, which may itself live under /tmp (a private one would hide it)
    { name: 'head', privateTmp: false },
    { name: 'mm1', ...remote, sshd: { authorizedKeys: [good] } },
    { name: 'mm2', ...remote, sshd: { authorizedKeys: [good] } },
    { name: 'mm3', ...remote, sshd: { authorizedKeys: [good] } },
    { name: 'mm4', ...remote, sshd: { authorizedKeys: [other] } },
    { name: 'mm5', down: true },
  ]);
  const h = lab.host('head');
  await writeFile(join(h.dir, 'id'), await readFile(join(keys.path, 'id')), { mode: 0o600 });
  await keys[Symbol.asyncDispose]();
  h.vhost!.spawn(
    [exe, '-base', '/mnt/base', '-nostdin', '-degree', '3', '-level', 'info'],
    join(h.dir, 'head.log'),
  );
  head = await MinimegaClient.dial(join(h.dir, 'base/minimega'), { waitMs: 20_000 });
  await run(`deploy identity ${h.inside}/id`);
  await run('deploy timeout 60');
}, 120_000);

afterAll(async () => {
  await head?.close().catch(() => {});
  await lab?.close();
}, 60_000);

sshd.test(
  'deploy launch forms a 4-node mesh from hosts without the checkout or node',
  async () => {
    // the hosts really cannot see them
    const probe = await lab
      .host('mm1')
      .vhost!.exec(['sh', '-c', `ls -A ${hidden[0]}; ls /tmp; /usr/bin/node -v`]);
    expect(probe.stdout.trim()).toBe('');
    expect(probe.exitCode).not.toBe(0);

    const resp = await run('deploy launch mm[1-3]');
    const r = rows(resp);
    expect([...r.keys()]).toEqual(['mm1', 'mm2', 'mm3']);
    for (const row of r.values()) {
      expect(row).toMatchObject({ result: 'joined', copy: 'copied', error: '' });
    }
    expect(resp.every((x) => !x.Error)).toBe(true);
    expect(await meshSize()).toBe(4);
    // the deployed daemon is the copied file under the host's own /tmp
    const ps = await lab.host('mm2').vhost!.exec(['sh', '-c', 'ls /tmp/minimega_deploy']);
    expect(ps.stdout).toMatch(/^minimega-[0-9a-f]{16}$/m);
    // and it answers mesh commands (hostnames are the hosts' own)
    const names = await run('mesh send mm[1-3] host name');
    expect(names.map((x) => x.Response).sort()).toEqual(['mm1', 'mm2', 'mm3']);
  },
  90_000,
);

sshd.test(
  'redeploy skips the copy; a down host and a refused key fail naming them',
  async () => {
    // stop the deployed daemons (in their hosts), then deploy again with two bad hosts
    for (const n of ['mm1', 'mm2', 'mm3']) {
      await lab.host(n).vhost!.exec(['sh', '-c', 'kill $(cat /mnt/base/minimega.pid)']);
    }
    const end = Date.now() + 20_000;
    while ((await meshSize()) > 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
    expect(await meshSize()).toBe(1);

    const resp = await run('deploy launch mm[1-5]');
    const r = rows(resp);
    for (const n of ['mm1', 'mm2', 'mm3']) {
      expect(r.get(n)).toMatchObject({ result: 'joined', copy: 'skipped', error: '' });
    }
    expect(r.get('mm4')).toMatchObject({ result: 'failed' });
    expect(r.get('mm4')!.error).toMatch(/^auth refused/);
    expect(r.get('mm5')).toMatchObject({ result: 'failed' });
    expect(r.get('mm5')!.error).toMatch(/^unreachable/);
    const err = resp.map((x) => x.Error).join('\n');
    expect(err).toMatch(/deploy mm4: auth refused/);
    expect(err).toMatch(/deploy mm5: unreachable/);
    // every host was in the head's view when deploy reported it joined, and
    // stays: a redeployed host's previous life no longer shows it early
    // through stale links (once in ~10 runs the view then lost one: size 3)
    expect(await meshSize()).toBe(4);

    // deploying again while they run starts nothing new
    const again = rows(await run('deploy launch mm1'));
    expect(again.get('mm1')).toMatchObject({ result: 'joined (already running)', copy: 'skipped' });
  },
  90_000,
);

sshd.test(
  'a daemon that exits at once is reported with its last log lines',
  async () => {
    await lab.host('mm3').vhost!.exec(['sh', '-c', 'kill $(cat /mnt/base/minimega.pid)']);
    await run('deploy flags -base=/tmp/other -no-such-flag');
    try {
      const resp = await run('deploy launch mm3');
      const row = rows(resp).get('mm3')!;
      expect(row.result).toBe('failed');
      expect(row.error).toMatch(/^exited early: .*no-such-flag/);
    } finally {
      await run('clear deploy flags');
    }
  },
  60_000,
);
