// VM-target commands across the namespace's hosts (namespace.md §5.2): the
// target is range-expanded here, each host applies it to its own VMs, and
// hosts without the VM drop out of the answer.
import { type Batch, splitList } from '@mm/cli-grammar';
import { targetOutcomes } from '@mm/namespace';
import type { VmHost, VmRecord, VmSelector } from '@mm/qemu';
import type { Daemon } from '../../context.js';
import { type CommandScope, cluster, resolveNs, row, scopeHosts } from './state.js';

/** Runs `fn` with the selector on every host of the command's namespace; one row per host that answered. */
export async function targetFanout(
  d: Daemon,
  cmd: CommandScope,
  target: string,
  fn: (h: VmHost, sel: VmSelector) => Promise<void>,
): Promise<Batch> {
  const ns = await resolveNs(d, cmd.namespace);
  const sel: VmSelector = { namespace: ns.name, targets: splitList(target) };
  const outcomes = targetOutcomes(await cluster(d).each(scopeHosts(d, cmd, ns), (h) => fn(h, sel)));
  return outcomes.map((o) => row(o.host, o.ok ? {} : { error: o.error.message }));
}

/** Runs `fn` on the one host that has VM `name` (the first that does not say not found). */
export async function oneVm<T>(
  d: Daemon,
  cmd: CommandScope,
  name: string,
  fn: (h: VmHost, ref: { namespace: string; name: string }) => Promise<T>,
): Promise<{ host: string; value: T }> {
  const ns = await resolveNs(d, cmd.namespace);
  const ref = { namespace: ns.name, name };
  const outcomes = targetOutcomes(await cluster(d).each(scopeHosts(d, cmd, ns), (h) => fn(h, ref)));
  const ok = outcomes.find((o) => o.ok);
  if (ok?.ok) return { host: ok.host, value: ok.value };
  const failed = outcomes.find((o) => !o.ok);
  throw failed && !failed.ok ? failed.error : new Error(`vm not found: ${name}`);
}

/**
 * Tab completion of a `<vm ...>` item (minimega's VM suggest): names of the
 * active namespace's local VMs the command applies to, plus `all` when `wild`.
 */
export function vmSuggester(
  d: Daemon,
  opts: { applies?: (vm: VmRecord) => boolean; wild: boolean },
): (raw: string, key: string, prefix: string) => Promise<string[]> {
  return async (_raw, key, prefix) => {
    if (key !== 'vm') return [];
    const ns = await resolveNs(d, '');
    const vms = (await d.services.vmHost?.list({ namespace: ns.name })) ?? [];
    const names = vms.filter(opts.applies ?? (() => true)).map((vm) => vm.name);
    if (opts.wild) names.push('all');
    return names.filter((n) => n.startsWith(prefix));
  };
}
