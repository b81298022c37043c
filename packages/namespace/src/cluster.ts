// The namespace's view of VMs across hosts: one VmHost per host (the local
// one, or a remote proxy over the mesh) and the fan-out rules of
// namespace.md §5: every host of the namespace in parallel, each host's
// answer kept apart so the caller can render one row per host.
import type { VmHost } from '@mm/qemu';

export type HostOutcome<T> =
  | { host: string; ok: true; value: T }
  | { host: string; ok: false; error: Error & { code?: string } };

export interface VmClusterOptions {
  /** this node's mesh name */
  hostname: string;
  /** this node's VmHost */
  local: VmHost;
  /** a VmHost for another node (over the mesh); without it only the local host is reachable */
  remote?: (host: string) => VmHost;
}

export interface VmCluster {
  readonly hostname: string;
  readonly local: VmHost;
  /** `localhost` and the local name give the local host */
  host(name: string): VmHost;
  /** runs `fn` on every host in parallel (sorted by name); one outcome per host */
  each<T>(
    hosts: Iterable<string>,
    fn: (h: VmHost, host: string) => Promise<T>,
  ): Promise<HostOutcome<T>[]>;
}

export class HostUnreachableError extends Error {
  readonly code = 'ERR_HOST_UNREACHABLE' as const;
  constructor(readonly host: string) {
    super(`unknown host: ${host}`);
  }
}

export function createVmCluster(opts: VmClusterOptions): VmCluster {
  const cache = new Map<string, VmHost>();
  const host = (name: string): VmHost => {
    if (name === opts.hostname || name === 'localhost') return opts.local;
    let h = cache.get(name);
    if (!h) {
      if (!opts.remote) throw new HostUnreachableError(name);
      h = opts.remote(name);
      cache.set(name, h);
    }
    return h;
  };
  return {
    hostname: opts.hostname,
    local: opts.local,
    host,
    async each(hosts, fn) {
      const names = [...new Set(hosts)].sort();
      return Promise.all(
        names.map(async (name) => {
          try {
            return { host: name, ok: true as const, value: await fn(host(name), name) };
          } catch (err) {
            return { host: name, ok: false as const, error: asError(err) };
          }
        }),
      );
    },
  };
}

function asError(err: unknown): Error & { code?: string } {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * The VM-target rule (namespace.md §5.2, by code instead of message text):
 * hosts that do not have the VM drop out; when no host succeeded and none
 * failed for another reason, the result is the last "vm not found" error.
 */
export function targetOutcomes<T>(outcomes: HostOutcome<T>[]): HostOutcome<T>[] {
  const kept = outcomes.filter((o) => o.ok || o.error.code !== 'ERR_VM_NOT_FOUND');
  if (kept.length === 0) {
    const last = outcomes[outcomes.length - 1];
    if (last) return [last];
  }
  return kept;
}
