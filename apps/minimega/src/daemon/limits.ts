// The daemon's resource limits (issue 14 §3), one place for their defaults
// and the flags that raise them. Every limit is in bytes except where named.
import type { DaemonFlags } from '../context.js';

export interface Limits {
  /** bytes of output one command (`shell`) may produce before it is stopped with an error */
  maxOutput: number;
  /** bytes queued for one control-socket client that does not read before it is disconnected */
  maxClientBuffer: number;
  /** bytes queued for all control-socket clients together; past it the biggest non-reader goes */
  maxSendBuffers: number;
  /** bytes of command history kept (oldest entries dropped first) */
  historyBytes: number;
  /** longest command line kept whole in the history (longer: a `#` note instead) */
  historyLineBytes: number;
  /** how long `quit` / SIGTERM wait for shutdown work before stopping what is left, ms */
  shutdownMs: number;
  /** most VMs on this host, every namespace (0 = no limit) */
  maxVms: number;
  /** most memory of live VMs on this host as a multiple of MemTotal (0 = no limit) */
  memOvercommit: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxOutput: 16 << 20,
  maxClientBuffer: 64 << 20,
  maxSendBuffers: 256 << 20,
  historyBytes: 4 << 20,
  historyLineBytes: 64 << 10,
  shutdownMs: 10_000,
  maxVms: 0,
  // QEMU allocates guest memory as the guest touches it, so idle VMs may
  // overcommit; twice the host's memory is refused before the OOM killer runs
  memOvercommit: 2,
};

/** The flags (names and help live in flags/registry.ts) */
export const LIMIT_FLAGS = {
  maxOutput: 'max-output',
  maxClientBuffer: 'max-client-buffer',
  maxSendBuffers: 'max-send-buffers',
  historyBytes: 'max-history',
  historyLineBytes: 'max-history-line',
  shutdownMs: 'shutdown-timeout',
  maxVms: 'max-vms',
  memOvercommit: 'max-mem-commit',
} as const;

function positive(v: unknown): number | undefined {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
}

function count(v: unknown): number | undefined {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
}

export function limitsOf(flags: DaemonFlags): Limits {
  const get = (k: keyof Limits) => positive(flags[LIMIT_FLAGS[k]]);
  const shutdownS = get('shutdownMs');
  return {
    maxOutput: get('maxOutput') ?? DEFAULT_LIMITS.maxOutput,
    maxClientBuffer: get('maxClientBuffer') ?? DEFAULT_LIMITS.maxClientBuffer,
    maxSendBuffers: get('maxSendBuffers') ?? DEFAULT_LIMITS.maxSendBuffers,
    historyBytes: get('historyBytes') ?? DEFAULT_LIMITS.historyBytes,
    historyLineBytes: get('historyLineBytes') ?? DEFAULT_LIMITS.historyLineBytes,
    shutdownMs: shutdownS !== undefined ? shutdownS * 1000 : DEFAULT_LIMITS.shutdownMs,
    // 0 means "no limit" for these two, so it is kept rather than defaulted
    maxVms: count(flags[LIMIT_FLAGS.maxVms]) ?? DEFAULT_LIMITS.maxVms,
    memOvercommit: ((p) => (p === undefined ? DEFAULT_LIMITS.memOvercommit : p / 100))(
      count(flags[LIMIT_FLAGS.memOvercommit]),
    ),
  };
}
