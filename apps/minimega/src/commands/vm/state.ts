// How the VM commands reach VMs: the namespace's hosts through the cluster
// (@mm/namespace) over the VmHost seam. No state lives here: the current and
// saved `vm config` are the namespace's own (NamespaceInfo.vmConfigs).
import type { Command, Response } from '@mm/cli-grammar';
import type { NamespaceInfo, VmCluster } from '@mm/namespace';
import type { VmRecord } from '@mm/qemu';
import type { Daemon } from '../../context.js';
import { SOURCE_MESHAGE } from '../mesh/remote.js';

/** what of a command decides where a VM command runs: its namespace tag and where it came from */
export type CommandScope = Pick<Command, 'namespace' | 'source'>;

/**
 * The hosts a VM command reaches: the namespace's, or only this node when
 * another node sent it (minimega runs a mesh-sent command locally), so a
 * namespace copy made by remote calls, whose hosts are this node's peers,
 * never fans the command out again.
 */
export function scopeHosts(d: Daemon, cmd: CommandScope, ns: NamespaceInfo): Iterable<string> {
  return cmd.source === SOURCE_MESHAGE ? [d.hostname] : ns.hosts;
}

/** The namespace a command runs in: its tag, else the active one. */
export async function resolveNs(d: Daemon, tag: string): Promise<NamespaceInfo> {
  return d.namespaces.getOrCreate(tag || d.namespaces.active);
}

export function cluster(d: Daemon): VmCluster {
  const c = d.services.cluster;
  if (!c) throw new Error('the VM module is not running');
  return c;
}

/** One response row from `host`. */
export function row(host: string, r: Partial<Response> = {}): Response {
  return { host, response: '', header: null, tabular: null, error: '', ...r };
}

/** Every VM of a namespace on all its hosts (hosts that fail are skipped, as minimega's globalVMs). */
export async function namespaceVms(d: Daemon, ns: NamespaceInfo): Promise<VmRecord[]> {
  const res = await cluster(d).each(ns.hosts, (h) => h.list({ namespace: ns.name }));
  const out: VmRecord[] = [];
  for (const r of res) {
    if (r.ok) out.push(...r.value);
    else d.log.warn(`vm list on ${r.host}: ${r.error.message}`);
  }
  return out;
}
