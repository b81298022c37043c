import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { MinimegaClient } from '../src/client/connection.js';
import type { CommandModule } from '../src/context.js';
import { defaultDaemonFlags } from '../src/daemon/flags.js';
import { AlreadyRunningError } from '../src/daemon/socket-check.js';
import { startDaemon } from '../src/daemon/start.js';
import { createLogger } from '../src/log/logger.js';
import type { WireReply } from '../src/protocol/wire.js';
import { inProcessDaemon, tempBase } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function daemon(modules: CommandModule[] = []) {
  const d = await inProcessDaemon(modules);
  cleanups.push(() => d.close());
  return d;
}

async function client(socket: string) {
  const c = await MinimegaClient.dial(socket);
  cleanups.push(() => c.close());
  return c;
}

const texts = (rs: WireReply[]) => rs.map((r) => r.Rendered);

describe('control socket protocol', () => {
  it('answers a command with Go field names and More=false', async () => {
    const d = await daemon();
    const c = await client(d.socketPath);
    const [r, ...rest] = await c.runAll('echo hello world');
    expect(rest).toEqual([]);
    expect(r).toEqual({
      Resp: [
        {
          Host: 'testhost',
          Response: 'hello world',
          Header: null,
          Tabular: null,
          Error: '',
          Data: null,
        },
      ],
      Rendered: 'testhost: hello world',
      More: false,
      Status: false,
    });
  });

  it('blank input and comments give one empty reply', async () => {
    const d = await daemon();
    const c = await client(d.socketPath);
    expect(await c.runAll('   ')).toEqual([
      { Resp: null, Rendered: '', More: false, Status: false },
    ]);
    expect(await c.runAll('# just a comment')).toEqual([
      { Resp: null, Rendered: '', More: false, Status: false },
    ]);
  });

  it('needs exactly one of Command and Suggest', async () => {
    const d = await daemon();
    const c = await client(d.socketPath);
    c.writeRaw('{"Command":"","Suggest":"","PlumbPipe":""}\n');
    const r = await c.readReply();
    expect(r.Resp?.[0]?.Error).toBe('must specify either command or suggest');
    expect(r.More).toBe(false);
    c.writeRaw('{"Command":"echo","Suggest":"ech","PlumbPipe":""}');
    expect((await c.readReply()).Resp?.[0]?.Error).toBe('must specify either command or suggest');
  });

  it('completes whole lines through Suggest', async () => {
    const d = await daemon();
    const c = await client(d.socketPath);
    expect(await c.suggest('ec')).toEqual(['echo ']);
    expect(await c.suggest('clear hist')).toEqual(['clear history ']);
    c.writeRaw('{"Suggest":"his"}');
    const raw = await c.readReply();
    expect(raw).toEqual({
      Resp: null,
      Rendered: '',
      More: false,
      Status: false,
      Suggest: ['history '],
    });
  });

  it('reports compile errors from the daemon host', async () => {
    const d = await daemon();
    const c = await client(d.socketPath);
    const [r] = await c.runAll('definitely not a command');
    expect(r?.Resp?.[0]?.Host).toBe('testhost');
    expect(r?.Resp?.[0]?.Error).toMatch(/invalid command/);
    const [q] = await c.runAll('echo "unterminated');
    expect(q?.Resp?.[0]?.Error).not.toBe('');
  });

  it('a command may wait on its signal from many operations at once without a leak warning', async () => {
    // `vm launch kvm 15` dials QMP and runs qemu-img for every VM at once, each
    // listening on the connection's signal; Node warned of a leak past 10
    const fanout: CommandModule = (dm) => {
      dm.cli.register({
        helpShort: 'twenty waits on the signal',
        patterns: ['fanout'],
        async call(_c, out, env) {
          const listeners = Array.from({ length: 20 }, () => () => {});
          for (const l of listeners) env.signal?.addEventListener('abort', l);
          for (const l of listeners) env.signal?.removeEventListener('abort', l);
          out.respond({ response: 'ok' });
        },
      });
    };
    const warnings: string[] = [];
    const onWarning = (w: Error) => void warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const d = await daemon([fanout]);
      const c = await client(d.socketPath);
      expect(texts(await c.runAll('fanout'))).toEqual(['testhost: ok']);
      await new Promise((r) => setTimeout(r, 50)); // warnings are emitted on a later tick
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });

  it('streams every batch with More=true until the last', async () => {
    const multi: CommandModule = (dm) => {
      dm.cli.register({
        helpShort: 'three batches',
        patterns: ['three'],
        call(_c, out) {
          for (const n of [1, 2, 3]) out.respond({ response: `batch ${n}` });
        },
      });
      dm.cli.register({
        helpShort: 'no batches',
        patterns: ['nothing'],
        call() {},
      });
    };
    const d = await daemon([multi]);
    const c = await client(d.socketPath);
    const rs = await c.runAll('three');
    expect(rs.map((r) => [r.Rendered, r.More])).toEqual([
      ['testhost: batch 1', true],
      ['testhost: batch 2', true],
      ['testhost: batch 3', false],
    ]);
    // minimega answers every command: one empty response from the host, never `Resp: null`
    expect(await c.runAll('nothing')).toEqual([
      {
        Resp: [
          { Host: 'testhost', Response: '', Header: null, Tabular: null, Error: '', Data: null },
        ],
        Rendered: '',
        More: false,
        Status: false,
      },
    ]);
    // a blank line is no command: `Resp: null`, as minimega
    expect(await c.runAll('# only a comment')).toEqual([
      { Resp: null, Rendered: '', More: false, Status: false },
    ]);
  });

  it('sends status messages only to the client that ran the command', async () => {
    const statusy: CommandModule = (dm) => {
      dm.cli.register({
        helpShort: 'status then answer',
        patterns: ['progress <n>'],
        async call(cmd, out, env) {
          env.status?.(`working on ${cmd.stringArgs.n}`);
          await new Promise((r) => setTimeout(r, 20));
          out.respond({ response: `done ${cmd.stringArgs.n}` });
        },
      });
    };
    const d = await daemon([statusy]);
    const a = await client(d.socketPath);
    const b = await client(d.socketPath);
    const [ra, rb] = await Promise.all([a.runAll('progress A'), b.runAll('progress B')]);
    expect(ra.map((r) => [r.Rendered, r.Status])).toEqual([
      ['working on A', true],
      ['testhost: done A', false],
    ]);
    expect(rb.map((r) => [r.Rendered, r.Status])).toEqual([
      ['working on B', true],
      ['testhost: done B', false],
    ]);
  });

  it('keeps a connection usable after malformed frames', async () => {
    const d = await daemon();
    const c = await client(d.socketPath);
    c.writeRaw('{"Command": }\n[1,2]\n"text"\nnull\n{"Command":42}\nbare-garbage\n');
    const errs: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await c.readReply();
      expect(r.More).toBe(false);
      errs.push(r.Resp?.[0]?.Error ?? '');
    }
    expect(errs[0]).toMatch(/invalid JSON/);
    expect(errs[1]).toMatch(/got an array/);
    expect(errs[2]).toMatch(/got a string/);
    expect(errs[3]).toMatch(/got null/);
    expect(errs[4]).toMatch(/Command/);
    expect(errs[5]).toMatch(/invalid JSON/);
    expect(texts(await c.runAll('echo still here'))).toEqual(['testhost: still here']);
  });

  it('serves many clients at once', async () => {
    const d = await daemon();
    const clients = await Promise.all(Array.from({ length: 20 }, () => client(d.socketPath)));
    const results = await Promise.all(
      clients.map(async (c, i) => {
        const out: string[] = [];
        for (let j = 0; j < 10; j++) out.push(...texts(await c.runAll(`echo ${i}-${j}`)));
        return out;
      }),
    );
    results.forEach((out, i) => {
      expect(out).toEqual(Array.from({ length: 10 }, (_, j) => `testhost: ${i}-${j}`));
    });
  });

  it('answers requests pipelined on one connection in order', async () => {
    const d = await daemon();
    const c = await client(d.socketPath);
    c.writeRaw(
      Array.from({ length: 50 }, (_, i) => JSON.stringify({ Command: `echo ${i}` })).join(''),
    );
    for (let i = 0; i < 50; i++) expect((await c.readReply()).Rendered).toBe(`testhost: ${i}`);
  });
});

describe('local commands', () => {
  it('history records what .record allows, clear history empties it', async () => {
    const d = await daemon();
    const c = await client(d.socketPath);
    await c.runAll('.annotate false');
    await c.runAll('clear history');
    await c.runAll('.record false echo hello, nobody');
    await c.runAll('.record true echo hello, world');
    await c.runAll('.record false');
    await c.runAll('echo off the record');
    await c.runAll('.record true');
    await c.runAll('echo again');
    expect(texts(await c.runAll('history'))).toEqual([
      '.record true echo hello, world\necho again',
    ]);
    await c.runAll('clear history');
    expect(texts(await c.runAll('history'))).toEqual(['']);
  });

  it('write saves the history to a file', async () => {
    const d = await daemon();
    const c = await client(d.socketPath);
    await c.runAll('clear history');
    await c.runAll('echo one');
    const f = join(d.base, 'hist.mm');
    await c.runAll(`write ${f}`);
    expect(await readFile(f, 'utf8')).toBe('echo one\n');
  });

  it('read runs a script, streams each output, is not recorded and refuses nesting', async () => {
    const d = await daemon();
    const c = await client(d.socketPath);
    const inner = join(d.base, 'inner.mm');
    const script = join(d.base, 'script.mm');
    await writeFile(inner, 'echo inner\n');
    await writeFile(script, `# comment\necho first\n\necho second\nread ${inner}\necho third\n`);
    await c.runAll('.annotate false');
    await c.runAll('clear history');
    const rs = await c.runAll(`read ${script}`);
    expect(texts(rs)).toEqual(['first', 'second', '', 'third']);
    expect(rs[2]?.Resp?.[0]?.Error).toBe('cannot run nested `read` commands');
    expect(rs.map((r) => r.More)).toEqual([true, true, true, false]);
    const hist = texts(await c.runAll('history'))[0]!;
    expect(hist).not.toContain('read');
    expect(hist).toContain('echo first');
    expect((await c.runAll(`read ${script} check`)).map((r) => r.Rendered)).toEqual(['']);
    const bad = join(d.base, 'bad.mm');
    await writeFile(bad, 'echo ok\nnot a command\necho never\n');
    const rb = await c.runAll(`read ${bad}`);
    expect(texts(rb)).toEqual(['ok', '']);
    expect(rb[1]?.Resp?.[0]?.Error).toMatch(/bad\.mm:2: .*invalid command/);
    const missing = await c.runAll(`read ${join(d.base, 'nope')}`);
    expect(missing[0]?.Resp?.[0]?.Error).toMatch(/ENOENT|no such file/);
  });

  it('shell answers with stdout, or the Go exec error', async () => {
    const d = await daemon();
    const c = await client(d.socketPath);
    await c.runAll('.annotate false');
    expect(texts(await c.runAll('shell echo hello world'))).toEqual(['hello world']);
    const [r] = await c.runAll('shell definitelynotarealcommand');
    expect(r?.Resp?.[0]?.Error).toBe(
      'exec: "definitelynotarealcommand": executable file not found in $PATH',
    );
    const [f] = await c.runAll('shell false');
    expect(f?.Resp?.[0]?.Error).toBe('exit status 1');
  });

  it('background runs detached and keeps output and status', async () => {
    const d = await daemon();
    const c = await client(d.socketPath);
    await c.runAll('.annotate false');
    expect(texts(await c.runAll('background echo hello world'))).toEqual(['']);
    const [bad] = await c.runAll('background definitelynotarealcommand');
    expect(bad?.Resp?.[0]?.Error).toBe(
      'exec: "definitelynotarealcommand": executable file not found in $PATH',
    );
    let status = '';
    for (let i = 0; i < 100 && !status.includes('exited 0'); i++) {
      await new Promise((r) => setTimeout(r, 20));
      status = texts(await c.runAll('.headers false .columns status background-status 0'))[0]!;
    }
    expect(status).toBe('exited 0');
    expect(texts(await c.runAll('background-output 0'))).toEqual(['hello world']);
    expect(texts(await c.runAll('background-error 0'))).toEqual(['']);
    expect((await c.runAll('background-output 7'))[0]?.Resp?.[0]?.Error).toMatch(
      /no background command/,
    );
    await c.runAll('clear background-status');
    expect(texts(await c.runAll('background-status'))).toEqual(['']);
  });

  it('host reports every column of this host', async () => {
    const d = await daemon();
    d.core.services.vmStats = () => ({ vms: 2, cpucommit: 3, memcommit: 1024, netcommit: 4 });
    const c = await client(d.socketPath);
    const [r] = await c.runAll('host');
    const resp = r?.Resp?.[0];
    expect(resp?.Header).toEqual([
      'name',
      'cpus',
      'load',
      'memused',
      'memtotal',
      'bandwidth',
      'uptime',
      'vms',
      'vmlimit',
      'cpucommit',
      'memcommit',
      'netcommit',
    ]);
    const row = resp?.Tabular?.[0] ?? [];
    expect(row[0]).toBe('testhost');
    expect(row[2]).toMatch(/^\d+\.\d\d \d+\.\d\d \d+\.\d\d$/);
    expect(Number(row[4])).toBeGreaterThan(0);
    expect(row[5]).toBe('0.0/0.0 (rx/tx MB/s)');
    expect(row[6]).toMatch(/^(\d+h)?(\d+m)?\d+s$/);
    expect(row.slice(7)).toEqual(['2', '0', '3', '1024', '4']);
    expect((await c.runAll('host vms'))[0]?.Resp?.[0]?.Response).toBe('2');
    expect((await c.runAll('host name'))[0]?.Resp?.[0]?.Response).toBe('testhost');
  });

  it('log commands change and report logging', async () => {
    const d = await daemon();
    const c = await client(d.socketPath);
    await c.runAll('.annotate false');
    expect(texts(await c.runAll('log level'))).toEqual(['debug']);
    await c.runAll('log level warn');
    expect(texts(await c.runAll('log level'))).toEqual(['warn']);
    await c.runAll('log ring 5');
    await c.runAll('log filter secret');
    d.core.log.warn('visible message');
    d.core.log.warn('a secret message');
    d.core.log.info('too low');
    expect(texts(await c.runAll('log ring'))[0]).toMatch(/WARN visible message$/);
    expect(texts(await c.runAll('log filter'))).toEqual(['secret']);
    const f = join(d.base, 'logs', 'mm.log');
    await c.runAll(`log file ${f}`);
    d.core.log.error('to the file');
    expect(await readFile(f, 'utf8')).toMatch(/ERROR to the file\n$/);
    await c.runAll('clear log');
    expect(texts(await c.runAll('log level'))).toEqual(['debug']);
    expect(texts(await c.runAll('log filter'))).toEqual(['']);
    expect((await c.runAll('log ring'))[0]?.Resp?.[0]?.Error).toMatch(/not enabled/);
  });

  it('echo with a URL nothing serves is an error; .preprocess false passes it', async () => {
    const d = await daemon();
    const c = await client(d.socketPath);
    await c.runAll('.annotate false');
    const [r] = await c.runAll('echo http://localhost/');
    expect(r?.Resp?.[0]?.Error).toMatch(/^get \/: file not found/);
    expect(texts(await c.runAll('.preprocess false echo http://localhost/'))).toEqual([
      'http://localhost/',
    ]);
    const [f] = await c.runAll('echo file:nothing/here');
    expect(f?.Resp?.[0]?.Error).toBe('get nothing/here: file not found');
    await c.runAll('.env MM_CORE_TEST_VAR expanded');
    expect(await c.suggest('echo $MM_CORE_TEST_')).toEqual(['echo $MM_CORE_TEST_VAR ']);
    expect(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: ${VAR} is the input under test
      texts(await c.runAll('echo $MM_CORE_TEST_VAR ${MM_CORE_TEST_VAR}x $MM_NOT_SET_EVER')),
    ).toEqual(['expanded expandedx']);
  });

  it('check reports missing external programs, args shows the command line', async () => {
    const d = await daemon();
    const c = await client(d.socketPath);
    const path = process.env.PATH;
    try {
      process.env.PATH = '/nonexistent';
      const [r] = await c.runAll('check');
      expect(r?.Resp?.[0]?.Error).toMatch(/^missing external programs: dnsmasq, kvm, /);
    } finally {
      process.env.PATH = path;
    }
    const [a] = await c.runAll('args');
    expect(a?.Resp?.[0]?.Error).toBe('');
  });

  it('debug shows runtime figures and writes CPU profiles', async () => {
    const d = await daemon();
    const c = await client(d.socketPath);
    const [r] = await c.runAll('debug');
    expect(r?.Resp?.[0]?.Header).toEqual(['nodeversion', 'handles', 'rss', 'heapused']);
    expect(r?.Resp?.[0]?.Tabular?.[0]?.[0]).toBe(process.version);
    const prof = join(d.base, 'cpu.cpuprofile');
    expect((await c.runAll('debug cpu stop'))[0]?.Resp?.[0]?.Error).toBe('CPU profile not running');
    await c.runAll(`debug cpu start ${prof}`);
    expect((await c.runAll(`debug cpu start ${prof}`))[0]?.Resp?.[0]?.Error).toBe(
      'CPU profile still running',
    );
    await c.runAll('echo profiled');
    expect((await c.runAll('debug cpu stop'))[0]?.Resp?.[0]?.Error).toBe('');
    expect(JSON.parse(await readFile(prof, 'utf8'))).toHaveProperty('nodes');
  });

  it('help, version, clear all', async () => {
    let cleared = 0;
    const d = await daemon([(dm) => dm.onClearAll('count', () => void cleared++)]);
    const c = await client(d.socketPath);
    await c.runAll('.annotate false');
    expect(texts(await c.runAll('help echo'))[0]).toContain('echo [args]...');
    expect(texts(await c.runAll('version'))[0]).toMatch(
      /^minimega \S+ \S+ \(minimega-ts, a TypeScript implementation of minimega\)$/,
    );
    await c.runAll('echo x');
    await c.runAll('clear all');
    expect(cleared).toBe(1);
    expect(texts(await c.runAll('history'))).toEqual(['']);
  });
});

describe('daemon lifecycle', () => {
  it('writes a pid file and removes it and the socket on shutdown, hooks once in reverse', async () => {
    const order: string[] = [];
    const d = await inProcessDaemon([
      (dm) => dm.onShutdown('first', () => void order.push('first')),
      (dm) => dm.onShutdown('second', () => void order.push('second')),
    ]);
    expect((await readFile(d.pidFile, 'utf8')).trim()).toBe(String(process.pid));
    await Promise.all([d.core.shutdown('a'), d.core.shutdown('b')]);
    await d.done;
    expect(order).toEqual(['second', 'first']);
    expect(existsSync(d.socketPath)).toBe(false);
    expect(existsSync(d.pidFile)).toBe(false);
    await d.close();
  });

  it('quit stops the daemon without answering: the client sees the connection end (as minimega)', async () => {
    const d = await daemon();
    const c = await client(d.socketPath);
    await expect(c.runAll('quit')).rejects.toMatchObject({
      code: 'ERR_DISCONNECTED',
      message: 'server disconnected',
    });
    expect(await d.done).toBe('quitting');
  });

  it('removes a stale socket, refuses a live one unless -force', async () => {
    await using base = await tempBase();
    const sockPath = join(base.path, 'minimega');
    // a live listener on the socket path
    const live = createServer(() => {});
    await new Promise<void>((r) => live.listen(sockPath, () => r()));
    const log = createLogger({ level: 'fatal', stderr: false });
    await expect(
      startDaemon({ flags: defaultDaemonFlags({ base: base.path }), log, modules: [] }),
    ).rejects.toThrow(AlreadyRunningError);
    const forced = await startDaemon({
      flags: defaultDaemonFlags({ base: base.path, force: true }),
      log,
      modules: [],
    });
    await forced.close();
    await new Promise<void>((r) => live.close(() => r()));
    // a stale socket file: its listener was killed, the path stays behind
    await execa(
      'node',
      [
        '-e',
        `require('net').createServer().listen(${JSON.stringify(sockPath)}, () => process.kill(process.pid, 'SIGKILL'))`,
      ],
      { reject: false },
    );
    expect(existsSync(sockPath)).toBe(true);
    const lines: string[] = [];
    const d2 = await startDaemon({
      flags: defaultDaemonFlags({ base: base.path }),
      log: createLogger({ level: 'warn', stderr: true, writeStderr: (l) => lines.push(l) }),
      modules: [],
    });
    expect(lines.join('')).toMatch(/stale socket/);
    const c = await MinimegaClient.dial(d2.socketPath);
    expect((await c.runAll('echo ok'))[0]?.Rendered).toMatch(/ok$/);
    await c.close();
    await d2.close();
  });
});
