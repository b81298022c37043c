// From parsed command-line flags to the daemon's typed flags (context.ts).
import type { DaemonFlags, LogLevel } from '../context.js';
import type { ParsedFlags } from '../flags/parse.js';

export class BadFlagError extends Error {
  readonly code = 'ERR_BAD_FLAG' as const;
}

/** daemon.md §1: `min-max` with min < max. */
export function parseVlanRange(s: string): { min: number; max: number } {
  const parts = s.split('-');
  if (parts.length !== 2) throw new BadFlagError('invalid VLAN range provided');
  const [a, b] = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : Number.NaN));
  if (a === undefined || b === undefined || Number.isNaN(a) || Number.isNaN(b))
    throw new BadFlagError('expected integer values for VLAN range');
  if (a >= b) throw new BadFlagError('expected min < max for VLAN range');
  return { min: a, max: b };
}

export function toDaemonFlags(p: ParsedFlags): DaemonFlags {
  const v = p.values;
  const base = String(v.base);
  // -filepath follows -base unless it was given too
  const filepath = p.set.has('filepath') ? String(v.filepath) : `${base.replace(/\/+$/, '')}/files`;
  parseVlanRange(String(v.vlanrange));
  const flags: DaemonFlags = {
    ...v,
    base,
    filepath,
    degree: Number(v.degree),
    msa: Number(v.msa),
    broadcast: String(v.broadcast),
    port: Number(v.port),
    context: String(v.context),
    vlanrange: String(v.vlanrange),
    force: v.force === true,
    recover: v.recover === true,
    nostdin: v.nostdin === true,
    level: String(v.level) as LogLevel,
    verbose: v.verbose === true,
    logfile: String(v.logfile),
    accel: String(v.accel) as DaemonFlags['accel'],
    meshkey: String(v.meshkey),
    meshmaxnodes: Number(v.meshmaxnodes),
  };
  return flags;
}

/** Defaults of every flag as DaemonFlags (tests, in-process daemons). */
export function defaultDaemonFlags(over: Partial<DaemonFlags> = {}): DaemonFlags {
  const base = over.base ?? '/tmp/minimega';
  return {
    base,
    filepath: `${base}/files`,
    degree: 0,
    msa: 10,
    broadcast: '255.255.255.255',
    port: 9000,
    context: 'minimega',
    vlanrange: '101-4096',
    force: false,
    recover: false,
    nostdin: true,
    level: 'error',
    verbose: true,
    logfile: '',
    accel: 'auto',
    meshkey: '',
    meshmaxnodes: 5000,
    ...over,
  };
}
