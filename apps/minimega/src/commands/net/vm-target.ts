// VM-target networking commands across the namespace's hosts (namespace.md
// §5.2): the networking state of a VM (its taps, the mirrors onto them) lives
// on the host that runs it, so a command typed here runs on this host and on
// the namespace's other hosts (as the same command, with source `meshage`,
// where it takes the local path). Hosts that do not have the VM drop out.
import type { Batch, CallEnv, Command, Output, Response } from '@mm/cli-grammar';
import type { Daemon } from '../../context.js';
import { namespaceHosts, onNamespaceHosts } from './host-split.js';

/** minimega's "vm not found: X" (the text is what crosses the mesh). */
export class VmNotFoundError extends Error {
  readonly code = 'ERR_VM_NOT_FOUND' as const;
  constructor(readonly vm: string) {
    super(`vm not found: ${vm}`);
  }
}

const NOT_FOUND_PREFIX = 'vm not found: ';

function row(host: string, error: string): Response {
  return { host, response: '', header: null, tabular: null, error };
}

/**
 * Runs `local` here and the command on the namespace's other hosts (only when
 * typed on this node), then keeps the answers of hosts that have the VM; when
 * no host has it, the answer is one "vm not found" error.
 */
export async function vmTargetAcrossHosts(
  d: Daemon,
  cmd: Command,
  out: Output,
  env: CallEnv,
  local: () => Promise<void>,
): Promise<void> {
  const split = await namespaceHosts(d, cmd);
  const mesh = d.services.mesh;
  if (split.others.length === 0 || !mesh) {
    await local();
    return;
  }
  cmd.namespace = split.namespace;
  const outcomes = await onNamespaceHosts<Batch>(
    d,
    split,
    async () => {
      await local();
      return [row(d.hostname, '')];
    },
    async (_node, others) => {
      // the remote hosts' rows, grouped per host (each row names its host)
      const rows = await mesh.runOn(others, cmd, env);
      const grouped = new Map<string, Batch>();
      for (const r of rows) grouped.set(r.host, [...(grouped.get(r.host) ?? []), r]);
      return [...grouped].map(([host, value]) => ({ host, ok: true as const, value }));
    },
  );
  const rows: Batch = outcomes.flatMap((o) => (o.ok ? o.value : [row(o.host, o.error)]));
  const kept = rows.filter((r) => !r.error.startsWith(NOT_FOUND_PREFIX));
  const ok = rows.some((r) => r.error === '');
  if (!ok && kept.length === 0) throw new Error(rows[rows.length - 1]!.error);
  out.emit(kept);
}
