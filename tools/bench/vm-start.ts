// `vm start all` of N paused VMs (default 50) on real QEMU (TCG), timed over
// the control socket, then `vm stop all` and `vm kill all` of the same VMs.
// Prints figures; asserts nothing. Needs a build and QEMU.
//   node --conditions=source --import tsx tools/bench/vm-start.ts [--vms 50] [--runs 3] [--main dist/main.js]
// Go original on the issue's machine: 219 ms for 50 (this project before: 678 ms).
//
// Per command it prints a timeline: for each phase @mm/qemu traces per VM
// (vm-phase-trace.mjs subscribes to its diagnostics channel inside the
// daemon), when the first, the median and the last VM reached it, in ms
// since the client sent the command; and the CPU (user+sys) the daemon and
// the guests' QEMUs used meanwhile.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { MinimegaClient } from '@mm/minimega/client';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** --main PATH: another build of the daemon (A/B: a copy of apps/minimega/dist next to it) */
const mainArg = process.argv.indexOf('--main');
const mainJs =
  mainArg >= 0 ? resolve(process.argv[mainArg + 1]!) : join(root, 'apps/minimega/dist/main.js');
const tracer = fileURLToPath(new URL('./vm-phase-trace.mjs', import.meta.url));
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const VMS = arg('vms', 50);
const RUNS = arg('runs', 3);
/** ms to wait between the launch and `vm start all` (0: at once, as a script would) */
const SETTLE = arg('settle', 0);

type Op = 'start' | 'stop' | 'kill';
/** the phases of each op, in order; state-file/record-file are traced under the new state's name */
const PHASES: Record<Op, { state: string; phases: string[]; waits: [string, string, string][] }> = {
  start: {
    state: 'RUNNING',
    phases: ['called', 'locked', 'cont-sent', 'qemu-ran', 'cont-reply'],
    waits: [
      ['cont-sent', 'cont-reply', 'QMP cont round trip'],
      ['cont-sent', 'qemu-ran', 'sent to QEMU ran it'],
      ['qemu-ran', 'cont-reply', 'QEMU ran to reply read'],
    ],
  },
  stop: {
    state: 'PAUSED',
    phases: ['called', 'locked', 'stop-sent', 'qemu-ran', 'stop-reply'],
    waits: [
      ['stop-sent', 'stop-reply', 'QMP stop round trip'],
      ['stop-sent', 'qemu-ran', 'sent to QEMU ran it'],
      ['qemu-ran', 'stop-reply', 'QEMU ran to reply read'],
    ],
  },
  kill: {
    state: 'QUIT',
    phases: ['called', 'locked', 'exited', 'vnc-closed'],
    waits: [['locked', 'exited', 'SIGKILL to exit seen']],
  },
};

interface PhaseEvent {
  vm: number;
  op: string;
  phase: string;
  t: number;
}

const now = () => performance.timeOrigin + performance.now();

async function run(c: MinimegaClient, line: string): Promise<void> {
  const replies = await c.runAll(line);
  const errors = replies
    .flatMap((r) => r.Resp ?? [])
    .map((r) => r.Error)
    .filter(Boolean);
  if (errors.length > 0) throw new Error(`${line}: ${errors.join('; ')}`);
}

/** CPU time (user+sys, ms) of a process so far (/proc/<pid>/stat, USER_HZ 100); 0 when gone */
function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

async function vmPids(c: MinimegaClient): Promise<number[]> {
  const replies = await c.runAll('.columns pid vm info');
  return replies
    .flatMap((r) => r.Resp ?? [])
    .flatMap((r) => r.Tabular ?? [])
    .map((row) => Number(row[0]))
    .filter((p) => p > 0);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** one op's figures: wall ms, daemon and QEMU CPU ms, and the phase timeline */
interface Sample {
  wall: number;
  daemonCpu: number;
  qemuCpu: number;
  timeline: Map<string, { first: number; median: number; last: number; n: number }>;
}

function timeline(op: Op, events: PhaseEvent[], t0: number): Sample['timeline'] {
  const out: Sample['timeline'] = new Map();
  const { state, phases, waits } = PHASES[op];
  const rows: [string, (e: PhaseEvent) => boolean][] = [
    ...phases.map((p): [string, (e: PhaseEvent) => boolean] => [
      p,
      (e) => e.vm >= 0 && e.op === op && e.phase === p,
    ]),
    ['state-file', (e) => e.vm >= 0 && e.op === state && e.phase === 'state-file'],
    ['record-file', (e) => e.vm >= 0 && e.op === state && e.phase === 'record-file'],
    ['host applied', (e) => e.vm < 0 && e.op === op && e.phase === 'applied'],
    ['host persisted', (e) => e.vm < 0 && e.op === op && e.phase === 'persisted'],
  ];
  for (const [name, match] of rows) {
    // the last event per VM (a record may be written twice)
    const perVm = new Map<number, number>();
    for (const e of events) if (match(e)) perVm.set(e.vm, e.t - t0);
    const ts = [...perVm.values()];
    if (ts.length === 0) continue;
    out.set(name, {
      first: Math.min(...ts),
      median: median(ts),
      last: Math.max(...ts),
      n: ts.length,
    });
  }
  // QEMU's side per VM (QMP round trip, split at QEMU's own timestamp of
  // the command's event; kill to exit), which the guests already running
  // compete with
  for (const [sent, replied, label] of waits) {
    const sentAt = new Map<number, number>();
    const doneAt = new Map<number, number>();
    for (const e of events) {
      if (e.vm < 0 || e.op !== op) continue;
      if (e.phase === sent) sentAt.set(e.vm, e.t);
      else if (e.phase === replied) doneAt.set(e.vm, e.t);
    }
    const rtts = [...doneAt]
      .filter(([vm]) => sentAt.has(vm))
      .map(([vm, t]) => t - sentAt.get(vm)!)
      .sort((a, b) => a - b);
    if (rtts.length === 0) continue;
    out.set(label, {
      first: rtts[0]!,
      median: median(rtts),
      last: rtts[rtts.length - 1]!,
      n: rtts.length,
    });
  }
  return out;
}

async function main(): Promise<void> {
  if (!existsSync(mainJs)) {
    console.error(`no ${mainJs}: run bash scripts/build.sh first`);
    process.exit(2);
  }
  const base = await mkdtemp(join(tmpdir(), `mm-bench-vm-${process.pid}-`));
  const tracePath = join(base, 'phases.jsonl');
  const daemon = spawn(
    process.execPath,
    [
      '--import',
      tracer,
      mainJs,
      '-base',
      base,
      '-nostdin',
      '-level',
      'fatal',
      '-accel',
      'tcg',
      '-port',
      '0',
    ],
    { stdio: 'ignore', env: { ...process.env, MM_PHASE_TRACE: tracePath } },
  );
  const c = await MinimegaClient.dial(join(base, 'minimega'), { waitMs: 30_000 });
  let traced = 0;
  /** the trace lines the daemon flushed since the last call (it flushes every 100 ms) */
  const newEvents = async (wait: boolean): Promise<PhaseEvent[]> => {
    if (wait) await sleep(250);
    if (!existsSync(tracePath)) return [];
    const text = readFileSync(tracePath, 'utf8');
    const fresh = text.slice(traced);
    traced = text.length;
    return fresh
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as PhaseEvent);
  };
  const timed = async (op: Op, pids: number[]): Promise<Sample> => {
    await newEvents(false);
    const q0 = pids.reduce((s, p) => s + cpuMsOf(p), 0);
    const c0 = cpuMsOf(daemon.pid!);
    const t0 = now();
    await run(c, `vm ${op} all`);
    const wall = now() - t0;
    const daemonCpu = cpuMsOf(daemon.pid!) - c0;
    const qemuCpu = pids.reduce((s, p) => s + cpuMsOf(p), 0) - q0;
    return {
      wall,
      daemonCpu,
      qemuCpu,
      timeline: timeline(
        op,
        (await newEvents(true)).filter((e) => e.t >= t0),
        t0,
      ),
    };
  };
  try {
    await run(c, 'vm config memory 64');
    await run(c, 'vm config snapshot false');
    const load0 = loadavg();
    const samples: Record<Op, Sample[]> = { start: [], stop: [], kill: [] };
    for (let i = 0; i < RUNS; i++) {
      await run(c, `vm launch kvm ${VMS}`);
      const pids = await vmPids(c);
      if (SETTLE > 0) await sleep(SETTLE);
      samples.start.push(await timed('start', pids));
      samples.stop.push(await timed('stop', pids));
      samples.kill.push(await timed('kill', pids));
      await run(c, 'vm flush');
    }
    const fmt = (x: number) => x.toFixed(0).padStart(5);
    console.log(
      `load average before: ${load0.map((x) => x.toFixed(2)).join(' ')}, after: ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
    for (const op of ['start', 'stop', 'kill'] as const) {
      const ss = samples[op];
      const walls = ss.map((s) => s.wall);
      const sorted = [...walls].sort((a, b) => a - b);
      const go = op === 'start' ? ' (Go original: 219 ms for 50)' : '';
      console.log(
        `\nvm ${op} all of ${VMS} VMs: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms, min ${sorted[0]!.toFixed(0)} ms (n=${RUNS})${go}; CPU per run: daemon ${ss.map((s) => s.daemonCpu.toFixed(0)).join(', ')} ms, QEMUs ${op === 'kill' ? 'n/a (their counts go with them)' : `${ss.map((s) => s.qemuCpu.toFixed(0)).join(', ')} ms`}`,
      );
      // the timeline of the median run
      const mid = ss.find((s) => s.wall === sorted[Math.floor(sorted.length / 2)])!;
      console.log(`  phase (ms since sent)   first median  last    n`);
      for (const [name, p] of mid.timeline) {
        console.log(
          `  ${name.padEnd(22)} ${fmt(p.first)} ${fmt(p.median)} ${fmt(p.last)} ${String(p.n).padStart(4)}`,
        );
      }
      console.log(`  ${'answer at client'.padEnd(22)} ${fmt(mid.wall)}`);
    }
  } finally {
    await c.runAll('quit').catch(() => undefined);
    await c.close();
    await new Promise((r) => daemon.once('exit', r));
    await rm(base, { recursive: true, force: true });
  }
}

await main();
