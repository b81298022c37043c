// How a namespace-wide command splits across the namespace's hosts
// (namespace.md §5.2, minimega's wrapBroadcastCLI/wrapVMTargetCLI): typed on
// this node it runs here (when this node is one of the hosts) and on the
// others over the mesh; sent by another node, or with no mesh or no other
// host, it stays here. One split and one per-host outcome shape for every
// such command (capture, tap mirror, qos), whatever each sends.
import type { Command } from '@mm/cli-grammar';
import type { Mesh, SendResult } from '@mm/meshage';
import type { Daemon } from '../../context.js';
import { commandNamespace } from './vlans-cli.js';

export interface NamespaceHosts {
  /** the command's namespace (created when new, as minimega does) */
  namespace: string;
  /** whether the command runs on this node (always, when it stays here) */
  here: boolean;
  /** the namespace's other hosts to reach; empty when the command stays here */
  others: string[];
  /** the mesh node that reaches `others` (set whenever `others` is not empty) */
  node: Mesh | undefined;
}

/** Splits `cmd`'s namespace's hosts into this node and the others to reach. */
export async function namespaceHosts(d: Daemon, cmd: Command): Promise<NamespaceHosts> {
  const namespace = commandNamespace(d, cmd);
  const hosts = [...(await d.namespaces.getOrCreate(namespace)).hosts];
  const self = (h: string) => h === d.hostname || h === 'localhost';
  const others = hosts.filter((h) => !self(h));
  const node = d.services.mesh?.node;
  if (cmd.source !== '' || !node || others.length === 0)
    return { namespace, here: true, others: [], node: undefined };
  return { namespace, here: hosts.some(self), others, node };
}

/** one host's answer: its value, or why it failed */
export type HostOutcome<T> =
  | { host: string; ok: true; value: T }
  | { host: string; ok: false; error: string };

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** a typed mesh send's results as outcomes */
export function sendOutcomes<T>(results: SendResult<T>[]): HostOutcome<T>[] {
  return results.map((r) =>
    r.ok
      ? { host: r.host, ok: true, value: r.value }
      : { host: r.host, ok: false, error: r.error.message },
  );
}

/**
 * Runs `local` here (when the split says so) beside `remote` on the other
 * hosts: one outcome per host, this node's first. A failure of either side
 * is that host's outcome, never a throw.
 */
export async function onNamespaceHosts<T>(
  d: Daemon,
  split: NamespaceHosts,
  local: () => Promise<T>,
  remote: (node: Mesh, others: string[]) => Promise<HostOutcome<T>[]>,
): Promise<HostOutcome<T>[]> {
  const host = d.hostname;
  const mine: Promise<HostOutcome<T>[]> = split.here
    ? local().then(
        (value) => [{ host, ok: true, value }],
        (err: unknown) => [{ host, ok: false, error: message(err) }],
      )
    : Promise.resolve([]);
  const theirs =
    split.node && split.others.length > 0 ? remote(split.node, split.others) : Promise.resolve([]);
  const [a, b] = await Promise.all([mine, theirs]);
  return [...a, ...b];
}

/** outcomes sorted by host name */
export function byHost<T extends { host: string }>(rows: T[]): T[] {
  return rows.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
}
