#!/usr/bin/env node
// scripts/cluster.sh: a minimega cluster on this machine, as a user command.
//   up N [--sshd] [--name NAME]   N hosts n1..nN (network namespaces, own
//                                 hostnames and /tmp); a daemon on every host,
//                                 or with --sshd an sshd on n2..nN and a
//                                 daemon on n1 only (try `deploy launch`)
//   down [--name NAME]            stop everything and remove the namespaces
//   attach [HOST]                 minimega -attach on HOST (default n1)
//   e [--host HOST] COMMAND...    minimega -e COMMAND on HOST (default n1)
//   exec HOST PROGRAM...          run a program inside HOST
//   status                        the hosts and what runs on them
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { repoRoot } from './daemon-entry.js';
import { startLab } from './lab.js';
import type { ClusterNames } from './names.js';
import { deleteBridge, deleteHostNetns } from './net.js';
import { ensureSea } from './sea.js';
import { makeKeyPair } from './sshd.js';
import { virtualHostFromPid } from './vhost.js';

const USAGE = `usage: scripts/cluster.sh <command>
  up N [--sshd] [--name NAME]  start N hosts n1..nN (needs root)
  down [--name NAME]           stop them and remove everything
  attach [HOST]                attach to the daemon on HOST (default n1)
  e [--host HOST] COMMAND...   run one minimega command on HOST (default n1)
  exec HOST PROGRAM...         run a program inside HOST
  status [--name NAME]         list the hosts`;

interface State {
  name: string;
  dir: string;
  bridge: string;
  exe: string;
  sshd: boolean;
  hosts: {
    name: string;
    netns: string;
    veth: string;
    address: string;
    pid: number;
    daemon: boolean;
  }[];
}

const stateDir = (name: string) => join(process.env.MM_CLUSTER_DIR ?? '/tmp', `mm-cluster-${name}`);
const stateFile = (name: string) => join(stateDir(name), 'state.json');

/** Names of a user cluster: fixed (not tied to a pid, so test sweeps leave them alone). */
function userNames(name: string): ClusterNames {
  return {
    id: name,
    bridge: `mmu${name}`.slice(0, 15),
    netns: (i) => `mmu-${name}-${i}`,
    veth: (i) => `mu${name}_${i}`.slice(0, 15),
    address: (i) => `10.78.${Math.floor(i / 250)}.${(i % 250) + 1}`,
  };
}

async function readState(name: string): Promise<State> {
  try {
    return JSON.parse(await readFile(stateFile(name), 'utf8')) as State;
  } catch {
    throw new Error(`no cluster ${JSON.stringify(name)} is up (scripts/cluster.sh up N)`);
  }
}

function hostOf(s: State, name: string) {
  const h = s.hosts.find((x) => x.name === name);
  if (!h)
    throw new Error(
      `no host ${name} in cluster ${s.name} (hosts: ${s.hosts.map((x) => x.name).join(' ')})`,
    );
  return virtualHostFromPid(h);
}

async function up(n: number, o: { sshd: boolean; name: string }): Promise<void> {
  if (!Number.isInteger(n) || n < 1 || n > 200) throw new Error(`up: N must be 1..200, not ${n}`);
  if (existsSync(stateFile(o.name))) {
    throw new Error(
      `cluster ${o.name} is already up (scripts/cluster.sh down${o.name === 'mm' ? '' : ` --name ${o.name}`})`,
    );
  }
  const exe = await ensureSea();
  const dir = stateDir(o.name);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const names = userNames(o.name);
  const key = o.sshd ? await makeKeyPair(join(dir, 'id')) : undefined;
  const specs = Array.from({ length: n }, (_, i) => ({
    name: `n${i + 1}`,
    ...(key && i > 0 ? { sshd: { authorizedKeys: [key] } } : {}),
    // hosts run dist/minimega from the checkout (daemons, `e`, `attach`): keep it
    // visible, as it is from any other place, when it lives under /tmp
    visible: [repoRoot],
  }));
  const lab = await startLab(specs, { detached: true, dir: join(dir, 'hosts'), names });
  const state: State = {
    name: o.name,
    dir,
    bridge: names.bridge,
    exe,
    sshd: o.sshd,
    hosts: lab.hosts.map((h, i) => ({
      name: h.name,
      netns: h.netns,
      veth: names.veth(i + 1),
      address: h.address,
      pid: h.vhost!.pid,
      daemon: !o.sshd || i === 0,
    })),
  };
  await writeFile(stateFile(o.name), JSON.stringify(state, null, 2));
  const degree = Math.min(3, n - 1);
  for (const [i, h] of lab.hosts.entries()) {
    if (!state.hosts[i]!.daemon) continue;
    if (key) await writeFile(join(h.dir, 'id'), await readFile(join(dir, 'id')), { mode: 0o600 });
    h.vhost!.spawn([exe, '-nostdin', '-degree', String(degree)], join(h.dir, 'minimega.log'), {
      detached: true,
    });
  }
  // wait for every daemon's socket (inside its private /tmp)
  for (const h of state.hosts.filter((x) => x.daemon)) {
    await minimega(state, h.name, ['-e', 'version'], { quiet: true, waitMs: 30_000 });
  }
  if (key) await minimega(state, 'n1', ['-e', 'deploy', 'identity', '/mnt/id'], { quiet: true });
  process.stdout.write(
    `cluster ${o.name}: ${n} host(s) ${state.hosts.map((h) => `${h.name}=${h.address}`).join(' ')}\n` +
      (o.sshd
        ? `daemon on n1; sshd on the others: scripts/cluster.sh e deploy launch n[2-${n}]\n`
        : `a daemon on every host (mesh degree ${degree}): scripts/cluster.sh e mesh status\n`) +
      'attach: scripts/cluster.sh attach   stop: scripts/cluster.sh down\n',
  );
}

async function minimega(
  s: State,
  host: string,
  args: string[],
  o: { quiet?: boolean; waitMs?: number; inherit?: boolean } = {},
): Promise<number> {
  const h = hostOf(s, host);
  const end = Date.now() + (o.waitMs ?? 0);
  for (;;) {
    const r = await execa(h.enter()[0]!, [...h.enter().slice(1), s.exe, ...args], {
      reject: false,
      ...(o.inherit ? { stdio: 'inherit' } : {}),
    });
    if (r.exitCode === 0 || Date.now() >= end) {
      if (!o.inherit && !o.quiet) {
        process.stdout.write(String(r.stdout) ? `${String(r.stdout)}\n` : '');
      }
      if (!o.inherit && String(r.stderr) && (!o.quiet || r.exitCode !== 0)) {
        process.stderr.write(`${String(r.stderr)}\n`);
      }
      return r.exitCode ?? 1;
    }
    await new Promise((res) => setTimeout(res, 200));
  }
}

async function down(name: string): Promise<void> {
  const s = await readState(name);
  await Promise.all(s.hosts.map((h) => virtualHostFromPid(h).close()));
  await Promise.all(s.hosts.map((h) => deleteHostNetns(h.netns, h.veth)));
  await deleteBridge(s.bridge);
  await rm(s.dir, { recursive: true, force: true });
  process.stdout.write(`cluster ${name}: down\n`);
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const opts = {
    name: { type: 'string', default: 'mm' },
    sshd: { type: 'boolean', default: false },
    host: { type: 'string', default: 'n1' },
  } as const;
  // options end at the first positional for e/exec (their words are minimega's)
  const split = cmd === 'e' || cmd === 'exec';
  const cut = split
    ? rest.findIndex(
        (w, i) => !w.startsWith('--') && rest[i - 1] !== '--host' && rest[i - 1] !== '--name',
      )
    : -1;
  const optWords = split && cut >= 0 ? rest.slice(0, cut) : rest;
  const words = split && cut >= 0 ? rest.slice(cut) : [];
  const { values, positionals } = parseArgs({
    args: optWords,
    options: opts,
    allowPositionals: true,
  });
  const name = values.name;
  if (!/^[a-z0-9]{1,8}$/.test(name)) throw new Error(`--name must be 1-8 lowercase letters/digits`);
  switch (cmd) {
    case 'up':
      await up(Number(positionals[0]), { sshd: values.sshd, name });
      return 0;
    case 'down':
      await down(name);
      return 0;
    case 'attach':
      return minimega(await readState(name), positionals[0] ?? 'n1', ['-attach'], {
        inherit: true,
      });
    case 'e':
      if (words.length === 0) throw new Error('e: which minimega command?');
      return minimega(await readState(name), values.host, ['-e', ...words], { inherit: true });
    case 'exec': {
      const [host, ...prog] = words;
      if (!host || prog.length === 0) throw new Error('exec: HOST PROGRAM...');
      const h = hostOf(await readState(name), host);
      const r = await execa(h.enter()[0]!, [...h.enter().slice(1), ...prog], {
        reject: false,
        stdio: 'inherit',
      });
      return r.exitCode ?? 1;
    }
    case 'status': {
      const s = await readState(name);
      for (const h of s.hosts) {
        const v = virtualHostFromPid(h);
        process.stdout.write(
          `${h.name}\t${h.address}\t${h.netns}\t${v.pids().length > 0 ? 'up' : 'gone'}\t${h.daemon ? 'daemon' : 'sshd'}\n`,
        );
      }
      return 0;
    }
    default:
      process.stdout.write(`${USAGE}\n`);
      return cmd === undefined || cmd === '-h' || cmd === '--help' ? 0 : 2;
  }
}

// exit explicitly: `up` leaves detached hosts and daemons running, whose
// handles would otherwise keep this process waiting
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`cluster: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
