// VM-target networking commands across the namespace's hosts (namespace.md
// §5.2): the networking state of a VM (its taps, the mirrors onto them) lives
// on the host that runs it, so a command typed here runs on this host and on
// the namespace's other hosts (as the same command, with source `meshage`,
// where it takes the local path). Hosts that do not have the VM drop out.
import type { Batch, CallEnv, Command, Output, Response } from '@mm/cli-grammar';
import type { Daemon } from '../../context.js';
import { commandNamespace } from './vlans-cli.js';

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
  const name = commandNamespace(d, cmd);
  const hosts = [...(await d.namespaces.getOrCreate(name)).hosts];
  const self = (h: string) => h === d.hostname || h === 'localhost';
  const others = hosts.filter((h) => !self(h));
  const mesh = d.services.mesh;
  if (cmd.source !== '' || !mesh || others.length === 0) {
    await local();
    return;
  }
  cmd.namespace = name;
  const here = hosts.some(self)
    ? local().then(
        () => [row(d.hostname, '')],
        (err: unknown) => [row(d.hostname, err instanceof Error ? err.message : String(err))],
      )
    : Promise.resolve([]);
  const [mine, remote] = await Promise.all([here, mesh.runOn(others, cmd, env)]);
  const rows: Batch = [...mine, ...remote];
  const kept = rows.filter((r) => !r.error.startsWith(NOT_FOUND_PREFIX));
  const ok = rows.some((r) => r.error === '');
  if (!ok && kept.length === 0) throw new Error(rows[rows.length - 1]!.error);
  out.emit(kept);
}
