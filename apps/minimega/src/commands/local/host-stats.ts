// Figures for `host`, read from /proc like the original (MB, Go formats).
// /proc files are generated in memory by the kernel: reading them
// synchronously costs a few microseconds, while fs/promises would take
// four thread-pool round trips (open, stat, read, close) per file.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export function loadAverage(): string {
  const f = readFileSync('/proc/loadavg', 'utf8').trim().split(/\s+/);
  if (f.length !== 5) throw new Error('could not read loadavg');
  return f.slice(0, 3).join(' ');
}

/** total and used memory in MB (used = total - free - buffers - cached) */
export function memoryMB(): { total: number; used: number } {
  const text = readFileSync('/proc/meminfo', 'utf8');
  const kb = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  };
  const total = Math.floor(kb('MemTotal') / 1024);
  const free = Math.floor((kb('MemFree') + kb('Buffers') + kb('Cached')) / 1024);
  return { total, used: total - free };
}

/** Go time.Duration.String() of whole seconds */
export function goDuration(seconds: number): string {
  let s = Math.floor(seconds);
  if (s === 0) return '0s';
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

export function uptimeSeconds(): number {
  const f = readFileSync('/proc/uptime', 'utf8').trim().split(/\s+/);
  return Number(f[0]);
}

export function uptime(): string {
  return goDuration(uptimeSeconds());
}

/** `host`'s Data, field for field as minimega's HostStats marshals (Uptime in ns) */
export interface HostStatsData {
  Name: string;
  RxBps: number;
  TxBps: number;
  CPUs: number;
  MemTotal: number;
  MemUsed: number;
  VMs: number;
  AndroidVMs: number;
  Limit: number;
  CPUCommit: number;
  MemCommit: number;
  NetworkCommit: number;
  Load: string;
  Uptime: number;
}

export function cpus(): number {
  return availableParallelism();
}
