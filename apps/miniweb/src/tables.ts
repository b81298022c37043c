// Turning the daemon's response rows (Header + Tabular per host) into typed
// records. Pure functions, so the mapping is tested without a daemon.
import type { WireResp } from '@mm/minimega/client';
import type { Host, Vm } from './schemas.js';

export interface Row {
  /** the host that answered */
  host: string;
  cells: Record<string, string>;
  /** the row's entry of the response's Data array, when the daemon sent one */
  data: Record<string, unknown> | undefined;
}

export interface Split {
  rows: Row[];
  warnings: { host: string; message: string }[];
}

/** Every table row of every response; error rows become warnings. */
export function tableRows(resps: readonly WireResp[]): Split {
  const rows: Row[] = [];
  const warnings: Split['warnings'] = [];
  for (const r of resps) {
    if (r.Error) {
      warnings.push({ host: r.Host, message: r.Error });
      continue;
    }
    const header = r.Header ?? [];
    const data = Array.isArray(r.Data) ? (r.Data as unknown[]) : [];
    (r.Tabular ?? []).forEach((cells, i) => {
      const rec: Record<string, string> = {};
      header.forEach((h, j) => {
        rec[h] = cells[j] ?? '';
      });
      const d = data[i];
      rows.push({
        host: r.Host,
        cells: rec,
        data:
          d && typeof d === 'object' && !Array.isArray(d)
            ? (d as Record<string, unknown>)
            : undefined,
      });
    });
  }
  return { rows, warnings };
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Seconds of a Go duration (`1h2m3.5s`, `250ms`); NaN when it is not one. */
export function parseGoDuration(text: string): number {
  const t = text.trim();
  if (t === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let ms = 0;
  let at = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    at = re.lastIndex;
  }
  return at === t.length && at > 0 ? ms / 1000 : Number.NaN;
}

/** `[a, b]` (how minimega prints lists) → ['a', 'b']; empty entries dropped. */
export function parseList(text: string | undefined): string[] {
  if (!text) return [];
  const inner = text.trim().replace(/^\[/, '').replace(/\]$/, '');
  return inner
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function num(text: string | undefined): number {
  const n = Number(text);
  return Number.isFinite(n) ? n : 0;
}

function parseTags(text: string | undefined): Record<string, string> {
  if (!text) return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
    }
  } catch {
    // not JSON: fall through
  }
  return {};
}

/** One `vm info` row → a Vm. `fallbackNs` when the daemon does not say the namespace. */
export function vmFromRow(row: Row, fallbackNs: string): Vm {
  const c = row.cells;
  const dataNs = row.data?.namespace;
  const dataHost = row.data?.host;
  const uptime = parseGoDuration(c.uptime ?? '');
  return {
    name: c.name ?? '',
    namespace: c.namespace || (typeof dataNs === 'string' ? dataNs : fallbackNs),
    host: c.host || (typeof dataHost === 'string' ? dataHost : row.host),
    id: num(c.id),
    state: c.state ?? '',
    type: c.type || 'kvm',
    vcpus: num(c.vcpus),
    memory: num(c.memory),
    vlans: parseList(c.vlan),
    ips: [...parseList(c.ip), ...parseList(c.ip6)],
    tags: parseTags(c.tags),
    uptime: Number.isNaN(uptime) ? 0 : uptime,
  };
}

/** One `host` row → a Host. */
export function hostFromRow(row: Row): Host {
  const c = row.cells;
  const bw = /^([\d.]+)\/([\d.]+)/.exec(c.bandwidth ?? '');
  const up = parseGoDuration(c.uptime ?? '');
  return {
    name: c.name || row.host,
    cpus: num(c.cpus),
    load: (c.load ?? '')
      .split(/\s+/)
      .filter((s) => s !== '')
      .map(num),
    memused: num(c.memused),
    memtotal: num(c.memtotal),
    rx: c.rx !== undefined ? num(c.rx) : num(bw?.[1]),
    tx: c.tx !== undefined ? num(c.tx) : num(bw?.[2]),
    vms: num(c.vms),
    vmlimit: num(c.vmlimit),
    cpucommit: num(c.cpucommit),
    memcommit: num(c.memcommit),
    netcommit: num(c.netcommit),
    uptime: Number.isNaN(up) ? num(c.uptime) : up,
  };
}

/** `mesh list`'s adjacency text (`host\n |--peer\n`) → nodes and each edge once. */
export function parseAdjacency(text: string): { nodes: string[]; edges: [string, string][] } {
  const nodes = new Set<string>();
  const edges = new Map<string, [string, string]>();
  let current = '';
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const peer = /^\s*\|--(.+)$/.exec(line);
    if (peer) {
      const p = peer[1]!.trim();
      nodes.add(p);
      if (current) {
        const pair = [current, p].sort() as [string, string];
        edges.set(pair.join('\0'), pair);
      }
    } else {
      current = line.trim();
      nodes.add(current);
    }
  }
  return { nodes: [...nodes].sort(), edges: [...edges.values()] };
}
