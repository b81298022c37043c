// What the mesh module offers other modules through `daemon.services.mesh`
// (namespace fan-out, file transfer, VM scheduling): the running node and a
// way to run a compiled command on other hosts.
import type { Batch, CallEnv, Command, Response } from '@mm/cli-grammar';
import type { Mesh, SendOptions } from '@mm/meshage';
import type { Daemon } from '../../context.js';
import { MeshCommand, toRequest } from './remote.js';

export interface MeshService {
  /** the mesh node (undefined when meshage could not start; see `error`) */
  readonly node: Mesh | undefined;
  /** why meshage is not running ('' when it is) */
  readonly error: string;
  /** `mesh timeout` in seconds (0 = unlimited) */
  timeoutSeconds: number;
  /**
   * Run `sub` on `hosts` (self is an error row: run local work yourself).
   * One merged batch: every batch of every host, and one error row per host
   * that is unknown, unreachable, timed out or failed.
   */
  runOn(hosts: readonly string[], sub: Command, env?: CallEnv): Promise<Batch>;
}

export function meshService(d: Daemon): MeshService | undefined {
  return d.services.mesh as MeshService | undefined;
}

export function errorRow(host: string, error: string): Response {
  return { host, response: '', header: null, tabular: null, error };
}

/** `mesh timeout` seconds as a send's timeout in ms (0 = unlimited) */
function sendTimeout(seconds: number): number {
  return seconds > 0 ? seconds * 1000 : Number.POSITIVE_INFINITY;
}

/** the options of a typed send a command makes to other nodes: its signal and `mesh timeout` */
export function meshSendOptions(d: Daemon, signal?: AbortSignal): SendOptions {
  return {
    ...(signal ? { signal } : {}),
    timeout: sendTimeout(d.services.mesh?.timeoutSeconds ?? 0),
  };
}

/** the mesh's other nodes as this node sees them (none when meshage is not running) */
export function meshPeers(d: Daemon): string[] {
  return (d.services.mesh?.node?.nodes() ?? []).filter((n) => n !== d.hostname);
}

/** the default `mesh timeout`: 5 minutes */
export const DEFAULT_MESH_TIMEOUT_SECONDS = 300;

export function createMeshService(node: Mesh | undefined, error: string): MeshService {
  const svc: MeshService = {
    node,
    error,
    // minimega waits forever by default; one dead host then hangs every send
    timeoutSeconds: DEFAULT_MESH_TIMEOUT_SECONDS,
    async runOn(hosts, sub, env = {}) {
      if (!node) return hosts.map((h) => errorRow(h, `meshage is not running: ${error}`));
      const rows = await node.send(hosts, MeshCommand, toRequest(sub), {
        ...(env.signal ? { signal: env.signal } : {}),
        timeout: sendTimeout(svc.timeoutSeconds),
      });
      const merged: Batch = [];
      for (const r of rows) {
        if (!r.ok) {
          merged.push(errorRow(r.host, r.error.message));
          continue;
        }
        const before = merged.length;
        for (const b of r.value) merged.push(...b);
        // a command that answered nothing still shows that its host ran it
        if (merged.length === before) merged.push(errorRow(r.host, ''));
      }
      return merged;
    },
  };
  return svc;
}
