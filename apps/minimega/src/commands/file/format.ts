// Table cells of the `file` commands (iomeshage.md §8).
import type { FileInfo, TransferStatus } from '@mm/iomeshage';

/** Go's time.RFC3339 in the local zone: 2006-01-02T15:04:05-07:00, `Z` for UTC. */
export function rfc3339(ms: number): string {
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const p = (n: number) => String(Math.trunc(Math.abs(n))).padStart(2, '0');
  const date = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  const time = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  const zone = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${p(off / 60)}:${p(off % 60)}`;
  return `${date}T${time}${zone}`;
}

export function listHeader(hashes: boolean): string[] {
  return hashes ? ['dir', 'name', 'size', 'modified', 'hash'] : ['dir', 'name', 'size', 'modified'];
}

export function listRow(f: FileInfo, hashes: boolean): string[] {
  const row = [f.dir ? '<dir>' : '', f.name, String(f.size), rfc3339(f.mtimeMs)];
  return hashes ? [...row, f.hash] : row;
}

/** minimega's four columns, then ours: progress, rate, sources, error */
export const STATUS_HEADER = [
  'filename',
  'tempdir',
  'completed',
  'queued',
  'progress',
  'rate',
  'sources',
  'error',
];

export function rate(bytesPerSecond: number): string {
  return `${(bytesPerSecond / (1024 * 1024)).toFixed(1)} MiB/s`;
}

export function percent(bytes: number, size: number): string {
  return `${(size === 0 ? 100 : (bytes / size) * 100).toFixed(1)}%`;
}

export function statusRow(s: TransferStatus): string[] {
  const p = s.progress;
  return [
    s.filename,
    s.tempdir,
    s.completed,
    String(s.queued),
    s.state === 'failed' ? 'failed' : percent(p.bytes, p.size),
    rate(p.rate),
    p.sources.join(','),
    p.error ?? '',
  ];
}
