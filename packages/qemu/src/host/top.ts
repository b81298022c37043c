// `vm top` (vm-qemu.md §7.2): what a VM's processes use, measured from the
// host: two samples of /proc over a window give CPU and guest CPU rates;
// memory and CPU time come from the second sample; the taps' byte counters
// over the same window give the VM's network rates.
import { readFile } from 'node:fs/promises';
import type { VmTopRow } from './types.js';

/** At most this many processes are read per VM (minimega's ProcLimit). */
export const PROC_LIMIT = 100;
/** USER_HZ: the unit of /proc/<pid>/stat times (100 on every Linux ABI node runs on) */
const CLK_TCK = 100;
/** /proc/<pid>/statm counts pages; 4 KiB on x86-64 (and the common arm64 kernels) */
const PAGE = 4096;

/** One process at one moment. */
export interface ProcFigures {
  /** user + system time, ticks */
  ticks: number;
  /** time spent running a guest (vCPUs), ticks */
  guestTicks: number;
  /** bytes */
  virt: number;
  res: number;
  shr: number;
}

/** A VM's processes at one moment (pid -> figures). */
export interface ProcSample {
  /** when it was taken (ms, monotonic) */
  at: number;
  procs: Map<number, ProcFigures>;
}

/** Reads one process's stat and statm; undefined when it is gone. */
export async function readProc(pid: number): Promise<ProcFigures | undefined> {
  try {
    const [stat, statm] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile(`/proc/${pid}/statm`, 'utf8'),
    ]);
    // the command name (field 2) may hold spaces and parentheses: fields start after the last ')'
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // field n of proc(5) is f[n - 3]: utime 14, stime 15, guest_time 43
    const m = statm.trim().split(' ').map(Number);
    return {
      ticks: Number(f[11]) + Number(f[12]),
      guestTicks: Number(f[40] ?? 0),
      virt: (m[0] ?? 0) * PAGE,
      res: (m[1] ?? 0) * PAGE,
      shr: (m[2] ?? 0) * PAGE,
    };
  } catch {
    return undefined;
  }
}

/** The process `pid` and its descendants (breadth first, at most PROC_LIMIT). */
export async function procTree(pid: number): Promise<number[]> {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0 && out.length < PROC_LIMIT) {
    const p = queue.shift()!;
    out.push(p);
    const kids = await readFile(`/proc/${p}/task/${p}/children`, 'utf8').catch(() => '');
    for (const k of kids.split(' ')) if (k.trim()) queue.push(Number(k));
  }
  return out;
}

/** Samples a VM's process tree from /proc. */
export async function sampleProcTree(pid: number): Promise<ProcSample> {
  const at = performance.now();
  const procs = new Map<number, ProcFigures>();
  if (pid > 0) {
    for (const p of await procTree(pid)) {
      const fig = await readProc(p);
      if (fig) procs.set(p, fig);
    }
  }
  return { at, procs };
}

/** A tap's byte counters (host side); zeros when it cannot be read. */
export async function tapBytes(tap: string): Promise<{ rx: number; tx: number }> {
  if (!tap || tap.includes('/')) return { rx: 0, tx: 0 };
  const read = (what: string) =>
    readFile(`/sys/class/net/${tap}/statistics/${what}`, 'utf8').then(Number, () => 0);
  const [rx, tx] = await Promise.all([read('rx_bytes'), read('tx_bytes')]);
  return { rx, tx };
}

/** The taps' counters summed, from the VM's side (the host receives what the VM sends). */
export async function vmNetBytes(taps: readonly string[]): Promise<{ rx: number; tx: number }> {
  let rx = 0;
  let tx = 0;
  for (const t of taps) {
    const b = await tapBytes(t);
    rx += b.tx;
    tx += b.rx;
  }
  return { rx, tx };
}

/**
 * One `vm top` row from two samples `a` (start) and `b` (end) of a VM's
 * processes and its taps' counters: CPU rates over processes present in
 * both, memory and CPU time of the end sample, MB/s on the taps.
 */
export function topRow(
  vm: { id: number; name: string; namespace: string },
  a: ProcSample,
  b: ProcSample,
  netA: { rx: number; tx: number },
  netB: { rx: number; tx: number },
): VmTopRow {
  const secs = Math.max((b.at - a.at) / 1000, 1e-3);
  let cpu = 0;
  let vcpu = 0;
  let ticks = 0;
  let virt = 0;
  let res = 0;
  let shr = 0;
  for (const [pid, end] of b.procs) {
    ticks += end.ticks;
    virt += end.virt;
    res += end.res;
    shr += end.shr;
    const start = a.procs.get(pid);
    if (!start) continue;
    cpu += (end.ticks - start.ticks) / CLK_TCK / secs;
    vcpu += (end.guestTicks - start.guestTicks) / CLK_TCK / secs;
  }
  const mb = 1024 * 1024;
  return {
    id: vm.id,
    name: vm.name,
    namespace: vm.namespace,
    virt,
    res,
    shr,
    cpu,
    vcpu,
    cpuTimeMs: Math.round((ticks / CLK_TCK) * 1000),
    procs: b.procs.size,
    rx: Math.max(0, netB.rx - netA.rx) / mb / secs,
    tx: Math.max(0, netB.tx - netA.tx) / mb / secs,
  };
}
