// What every part of a mesh node shares: its identity, transport, resolved
// options, log, stats and life-cycle. mesh.ts builds one and hands it to
// each part (peers, flooding, requests, discovery, streams).
import type { LocalIdentity } from './handshake.js';
import type { Transport } from './transport.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface MeshStats {
  /** frames this node sent, by frame type */
  sent: Record<'hello' | 'ready' | 'ping' | 'lsa' | 'req' | 'res', number>;
  /** discovery datagrams sent */
  datagrams: number;
}

export type OutFrame = { t: keyof MeshStats['sent'] } & Record<string, unknown>;

/** every tunable of a node, defaults applied (see MeshOptions for meanings) */
export interface Tunables {
  heartbeatMs: number;
  deadAfterMs: number;
  solicitMinMs: number;
  solicitMaxMs: number;
  handshakeTimeoutMs: number;
  dialTimeoutMs: number;
  lsaDelayMs: number;
  lsaMinIntervalMs: number;
  floodDelayMs: number;
  gcGraceMs: number;
  maxSolicitedDials: number;
  redialForMs: number;
  maxTtl: number;
  maxNodes: number;
  maxPeersPerNode: number;
  maxTargets: number;
  lsaEntriesPerSecond: number;
  sendTimeoutMs: number;
}

export interface Core {
  readonly name: string;
  readonly incarnation: number;
  readonly context: string;
  readonly transport: Transport;
  readonly identity: LocalIdentity;
  /** the raw mesh key (discovery MACs), undefined without one */
  readonly key: Uint8Array | undefined;
  readonly version: string;
  readonly o: Tunables;
  readonly log: (level: LogLevel, message: string) => void;
  readonly random: () => number;
  /** aborted when the node closes */
  readonly closing: AbortSignal;
  readonly stats: MeshStats;
  closed(): boolean;
  degree(): number;
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
