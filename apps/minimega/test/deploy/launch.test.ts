// deploy launch against a fake ssh and a fake mesh: the per-host outcomes
// and the result table.
import { expect, test } from 'vitest';
import { AuthRefusedError, UnreachableError } from '../../src/commands/deploy/errors.js';
import {
  COPY_FAILED_EXIT,
  type HostResult,
  type LaunchPlan,
  launch,
  type MeshView,
} from '../../src/commands/deploy/launch.js';
import type {
  ExecResult,
  RemoteSession,
  RemoteShell,
  SshTarget,
  StdinPart,
} from '../../src/commands/deploy/ssh.js';
import { DEPLOY_HEADER, resultBatch } from '../../src/commands/deploy/table.js';

const SHA = 'a'.repeat(64);

interface FakeHost {
  hostname: string;
  /** size of the deployed file there */
  have?: number;
  codecs?: string[];
  running?: string;
  fail?: 'unreachable' | 'auth' | 'copy';
  /** the daemon dies at start with this log */
  dies?: string;
  /** never joins */
  silent?: boolean;
}

/** A scripted session: stdout lines pushed by the fake host, stdin parts recorded. */
class FakeSession implements RemoteSession {
  private lines: (string | undefined)[] = [];
  private readers: ((l: string | undefined) => void)[] = [];
  private writeWaiters: (() => void)[] = [];
  readonly writes: StdinPart[] = [];
  private finish!: (r: ExecResult | Error) => void;
  ended = false;
  private endWaiters: (() => void)[] = [];
  readonly done: Promise<ExecResult>;
  constructor() {
    this.done = new Promise<ExecResult | Error>((res) => {
      this.finish = res;
    }).then((r) => {
      if (r instanceof Error) throw r;
      return r;
    });
    this.done.catch(() => {});
  }
  out(line: string | undefined): void {
    const r = this.readers.shift();
    if (r) r(line);
    else this.lines.push(line);
  }
  exit(r: ExecResult | Error): void {
    this.out(undefined);
    this.finish(r);
  }
  readLine(): Promise<string | undefined> {
    if (this.lines.length > 0) return Promise.resolve(this.lines.shift());
    return new Promise((res) => this.readers.push(res));
  }
  async write(part: StdinPart): Promise<void> {
    this.writes.push(part);
    for (const w of this.writeWaiters.splice(0)) w();
  }
  end(): void {
    this.ended = true;
    for (const w of this.endWaiters.splice(0)) w();
  }
  /** the next write (the decision line first) */
  private pos = 0;
  async nextWrite(): Promise<StdinPart> {
    while (this.writes.length <= this.pos) {
      if (this.ended) throw new Error('stdin closed');
      await new Promise<void>((res) => {
        this.writeWaiters.push(res);
        this.endWaiters.push(res);
      });
    }
    return this.writes[this.pos++]!;
  }
  waitEnd(): Promise<void> {
    return this.ended ? Promise.resolve() : new Promise((res) => this.endWaiters.push(res));
  }
}

function fakeWorld(hosts: Record<string, FakeHost>) {
  const joined = new Set<string>(['head']);
  const calls: string[] = [];
  const host = async (t: SshTarget, s: FakeSession, script: string) => {
    const h = hosts[t.host]!;
    if (h.fail === 'unreachable') return s.exit(new UnreachableError('Connection refused'));
    if (h.fail === 'auth') return s.exit(new AuthRefusedError('Permission denied (publickey).'));
    expect(script).toContain('-nostdin=true');
    calls.push(`${t.host}:probe`);
    for (const l of [
      `host=${h.hostname}`,
      ...(h.have !== undefined ? [`have=${h.have}`] : []),
      ...(h.codecs ?? []).map((c) => `${c}=1`),
      ...(h.running ? [`running=${h.running}`] : []),
      'probe-end',
    ])
      s.out(l);
    let decision: StdinPart;
    try {
      decision = await s.nextWrite();
    } catch {
      return s.exit({ exitCode: 0, stderr: '' });
    }
    const [kb, codec, , start] = new TextDecoder()
      .decode(decision as Uint8Array)
      .trim()
      .split(' ');
    if (kb !== '0') await s.nextWrite();
    if (codec !== 'none') {
      const file = await s.nextWrite();
      calls.push(`${t.host}:copy ${(file as { file: string }).file}`);
      if (h.fail === 'copy') {
        return s.exit({
          exitCode: COPY_FAILED_EXIT,
          stderr: 'zstd: error 70 : Write error : No space left on device\nzstd -dqc failed\n',
        });
      }
      s.out('copied');
    }
    if (start === '1') {
      calls.push(`${t.host}:start`);
      s.out('pid=4242');
      if (!h.dies && !h.silent) setTimeout(() => joined.add(h.hostname), 30);
    }
    s.out('install-end');
    if (h.dies) {
      setTimeout(() => {
        s.out('dead');
        for (const l of h.dies!.split('\n')) s.out(l);
        s.out('dead-end');
      }, 20);
    }
    await s.waitEnd();
    s.exit({ exitCode: 0, stderr: '' });
  };
  const shell: RemoteShell = {
    session(t, script) {
      const s = new FakeSession();
      void host(t, s, script);
      return s;
    },
  };
  const mesh: MeshView = {
    self: 'head',
    nodes: () => [...joined].sort(),
    dial: async (address) => {
      throw new Error(`dial ${address}: refused`);
    },
  };
  return { shell, mesh, calls, joined };
}

const plan = (targets: string[], over: Partial<LaunchPlan> = {}): LaunchPlan => ({
  targets: targets.map((host) => ({ host })),
  sudo: false,
  exe: {
    path: '/x/minimega',
    size: 1 << 20,
    sha256: SHA,
    packed: { zstd: { path: '/x/minimega.zst', size: 1 << 18 } },
  },
  flags: ['-base=/tmp/minimega', '-nostdin=true'],
  remoteBase: '/tmp/minimega',
  remoteDir: '/tmp/minimega_deploy',
  stdout: '/tmp/minimega/minimega.out',
  stderr: '/tmp/minimega/minimega.err',
  timeoutMs: 3000,
  ...over,
});

test('every host joins; the copy is skipped where the same executable is', async () => {
  const w = fakeWorld({
    a: { hostname: 'mm1' },
    b: { hostname: 'mm2', have: 1 << 20 },
    c: { hostname: 'mm3', codecs: ['zstd', 'gzip'], have: 12 },
  });
  const status: string[] = [];
  const r = await launch(plan(['a', 'b', 'c']), {
    ...w,
    status: (m) => status.push(m),
    pollMs: 10,
  });
  expect(r.map((x) => [x.host, x.name, x.joined, x.copy, x.pid])).toEqual([
    ['a', 'mm1', true, 'copied', '4242'],
    ['b', 'mm2', true, 'skipped', '4242'],
    ['c', 'mm3', true, 'copied', '4242'],
  ]);
  // no zstd on a: the plain file; zstd on c: the compressed one (a partial file there is replaced)
  expect(w.calls).toContain('a:copy /x/minimega');
  expect(w.calls).toContain('c:copy /x/minimega.zst');
  expect(w.calls.filter((c) => c.startsWith('b:copy'))).toEqual([]);
  expect(status).toContain('deploy: c: copying 0 MB (zstd)');
  expect(status).toContain('deploy: b: same executable already there, copy skipped');
  expect(status).toContain('deploy: a: joined');
});

test('failures name the host and why; the other hosts still join', async () => {
  const w = fakeWorld({
    ok: { hostname: 'mm1' },
    down: { hostname: 'x', fail: 'unreachable' },
    key: { hostname: 'x', fail: 'auth' },
    full: { hostname: 'mm4', fail: 'copy' },
    dies: { hostname: 'mm5', dies: 'flag provided but not defined: -bogus' },
    self: { hostname: 'head' },
  });
  const r = await launch(plan(['ok', 'down', 'key', 'full', 'dies', 'self']), { ...w, pollMs: 10 });
  const byHost = Object.fromEntries(r.map((x) => [x.host, x]));
  expect(byHost.ok!.joined).toBe(true);
  expect(byHost.down!.error?.code).toBe('ERR_DEPLOY_UNREACHABLE');
  expect(byHost.key!.error?.code).toBe('ERR_DEPLOY_AUTH');
  expect(byHost.full!.error?.code).toBe('ERR_DEPLOY_COPY');
  expect(byHost.dies!.error?.code).toBe('ERR_DEPLOY_EXITED');
  expect(byHost.dies!.error?.row).toBe('exited early: flag provided but not defined: -bogus');
  expect(byHost.self!.error?.code).toBe('ERR_DEPLOY_SELF');
  // a failed copy never starts anything
  expect(w.calls).not.toContain('full:start');

  const [table, errors] = resultBatch('head', r);
  expect(table!.header).toEqual(DEPLOY_HEADER);
  expect(table!.tabular!.map((row) => [row[0], row[2]])).toEqual([
    ['ok', 'joined'],
    ['down', 'failed'],
    ['key', 'failed'],
    ['full', 'failed'],
    ['dies', 'failed'],
    ['self', 'failed'],
  ]);
  expect(table!.error).toBe('');
  expect(errors!.error.split('\n')).toEqual([
    'deploy down: unreachable: Connection refused',
    'deploy key: auth refused: Permission denied (publickey).',
    'deploy full: copy failed: zstd: error 70 : Write error : No space left on device; zstd -dqc failed',
    'deploy dies: exited early: flag provided but not defined: -bogus',
    'deploy self: refusing to deploy to this host: self is head',
  ]);
});

test('a host that never joins fails at its deadline; one already running is not started again', async () => {
  const w = fakeWorld({
    quiet: { hostname: 'mm1', silent: true },
    up: { hostname: 'mm2', running: '77' },
  });
  w.joined.add('mm2');
  const t0 = Date.now();
  const r: HostResult[] = await launch(plan(['quiet', 'up'], { timeoutMs: 400 }), {
    ...w,
    pollMs: 10,
  });
  expect(Date.now() - t0).toBeLessThan(3000);
  expect(r[0]!.error?.code).toBe('ERR_DEPLOY_TIMEOUT');
  expect(r[1]).toMatchObject({ joined: true, alreadyRunning: true, pid: '77' });
  expect(w.calls).not.toContain('up:start');
});

test('aborting deploy launch ends every host as aborted', async () => {
  const w = fakeWorld({ quiet: { hostname: 'mm1', silent: true } });
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  const [r] = await launch(plan(['quiet'], { timeoutMs: 10_000 }), {
    ...w,
    pollMs: 10,
    signal: ac.signal,
  });
  expect(r!.error?.code).toBe('ERR_DEPLOY_ABORTED');
});
