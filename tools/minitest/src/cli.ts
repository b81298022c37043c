#!/usr/bin/env node
import { mkdirSync, writeFileSync } from 'node:fs';
// minitest: run minimega's command tests. See ../README.md.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  canIsolate,
  defaultMinimega,
  ISOLATED_ENV,
  reexecIsolated,
  repoRoot,
  type StartedDaemon,
  setUpIsolation,
  startDaemon,
} from './daemon.js';
import {
  containerRootfs,
  DISTRIBUTED_HOSTS,
  type DistributedLayout,
  startDistributed,
} from './distributed.js';
import { discoverTests, formatResult, parseList, runTests, summary } from './runner.js';

const USAGE = `usage: minitest [options] [test]...

  --dir DIR             directory of tests (NAME + NAME.want, prolog, epilog)
  --list FILE           run the tests named in FILE (one per line, # comments)
  --socket PATH         use the daemon already listening on PATH (starts none)
  --base DIR            base of the daemon to start (default /tmp/minimega)
  --start-daemon CMD    shell command starting the daemon (default: minimega
                        -base <base> -nostdin); the runner waits for <base>/minimega
  --daemon-args ARGS    extra flags appended to the default daemon command
  --no-isolate          do not use fresh network + mount namespaces
  --timeout SECONDS     per-command timeout (default 120)
  --out DIR             write each test's transcript to DIR/NAME.got
  --distributed         run on a head + mm1..mm3 (network namespaces, own
                        hostnames and /tmp; --dir is then .../distributed)
  --rootfs DIR          container rootfs shown as /root/uminicccfs on every
                        host (default: built by tools/guest-image --container)
  --images DIR          what $images in a test stands for (a directory holding
                        minicccfs, the container rootfs: guest-image --container)
  -h, --help            this text

Without --socket the runner starts its own daemon. As root on Linux it first
re-executes itself under 'unshare -n -m' (fresh network namespace with lo up,
private mount namespace with a tmpfs on the base), so the default base
/tmp/minimega can be used without touching anyone else's daemon or files.`;

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        dir: { type: 'string' },
        list: { type: 'string' },
        socket: { type: 'string' },
        base: { type: 'string' },
        'start-daemon': { type: 'string' },
        'daemon-args': { type: 'string' },
        'no-isolate': { type: 'boolean' },
        timeout: { type: 'string' },
        out: { type: 'string' },
        images: { type: 'string' },
        distributed: { type: 'boolean' },
        rootfs: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    process.stderr.write(`minitest: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  if (v.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const dir = typeof v.dir === 'string' ? resolve(v.dir) : undefined;
  if (!dir) {
    process.stderr.write(`minitest: --dir is required\n${USAGE}\n`);
    return 2;
  }
  const timeoutS = v.timeout === undefined ? 120 : Number(v.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) {
    process.stderr.write(`minitest: bad --timeout ${JSON.stringify(v.timeout)}\n`);
    return 2;
  }

  let tests: string[];
  try {
    if (parsed.positionals.length > 0) tests = parsed.positionals;
    else if (typeof v.list === 'string') tests = parseList(await readFile(v.list, 'utf8'));
    else tests = await discoverTests(dir);
  } catch (e) {
    process.stderr.write(`minitest: ${(e as Error).message}\n`);
    return 2;
  }
  if (tests.length === 0 && !v.distributed) {
    process.stderr.write('minitest: no tests to run\n');
    return 2;
  }

  const base = typeof v.base === 'string' ? resolve(v.base) : '/tmp/minimega';
  let daemon: StartedDaemon | undefined;
  let socket = typeof v.socket === 'string' ? resolve(v.socket) : undefined;
  let layout: DistributedLayout | undefined;
  if (!socket && v.distributed) {
    try {
      const rootfs = typeof v.rootfs === 'string' ? v.rootfs : await containerRootfs(repoRoot());
      layout = await startDistributed({
        minimega: [process.execPath, defaultMinimega()],
        rootfs,
        visible: [repoRoot()],
        ...(typeof v['daemon-args'] === 'string'
          ? { daemonArgs: v['daemon-args'].split(/\s+/).filter(Boolean) }
          : {}),
      });
    } catch (e) {
      process.stderr.write(`minitest: distributed layout: ${(e as Error).message}\n`);
      return 1;
    }
    socket = layout.socket;
    if (tests.length === 0) {
      // nothing enabled yet: the layout itself (four hosts, one mesh) was the check
      process.stdout.write('minitest: no distributed tests enabled; the layout formed its mesh\n');
      await layout.close();
      return 0;
    }
    process.stdout.write(
      `minitest: head + ${DISTRIBUTED_HOSTS.join(', ')} up; daemon logs: ${Object.values(layout.logs).join(' ')}\n`,
    );
  }
  if (!socket) {
    if (!v['no-isolate'] && process.env[ISOLATED_ENV] !== '1') {
      const iso = canIsolate();
      if (iso.ok) return reexecIsolated([...process.execArgv, process.argv[1]!, ...argv]);
      process.stderr.write(
        `minitest: not isolating the daemon (${iso.why}); using ${base} as is\n`,
      );
    }
    if (process.env[ISOLATED_ENV] === '1') setUpIsolation(base);
    const command =
      typeof v['start-daemon'] === 'string'
        ? v['start-daemon']
        : `${JSON.stringify(process.execPath)} ${JSON.stringify(defaultMinimega())} -base ${JSON.stringify(base)} -nostdin ${
            typeof v['daemon-args'] === 'string' ? v['daemon-args'] : ''
          }`;
    try {
      daemon = await startDaemon({ command, base });
    } catch (e) {
      process.stderr.write(`minitest: ${(e as Error).message}\n`);
      return 1;
    }
    socket = daemon.socket;
  }

  let results: Awaited<ReturnType<typeof runTests>>;
  try {
    results = await runTests({
      dir,
      socket,
      tests,
      timeoutMs: timeoutS * 1000,
      ...(typeof v.images === 'string' ? { images: resolve(v.images) } : {}),
      onResult: (r) => {
        process.stdout.write(`${formatResult(r)}\n`);
        if (typeof v.out === 'string') {
          mkdirSync(v.out, { recursive: true });
          writeFileSync(join(v.out, `${r.name}.got`), r.got === '' ? '' : `${r.got}\n`);
        }
      },
    });
  } finally {
    await daemon?.stop();
    await layout?.close();
  }
  process.stdout.write(`${summary(results)}\n`);
  return results.every((r) => r.passed) ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`minitest: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
