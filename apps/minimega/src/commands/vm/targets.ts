// VM targets (vm-qemu.md §5): a range-expanded list of ids or names; `all`
// anywhere makes the call wild.
import { splitList } from '@mm/cli-grammar';
import type { KvmVm } from '@mm/qemu';
import type { Daemon } from '../../context.js';
import { resolveNs, VM_STATE } from './state.js';

export interface Targets {
  wild: boolean;
  vms: KvmVm[];
  /** entries that matched nothing */
  missing: string[];
  /** the expanded entries */
  names: string[];
}

export function expandTargets(target: string, vms: Iterable<KvmVm>): Targets {
  const names = splitList(target);
  const list = [...vms].sort((a, b) => a.id - b.id);
  if (names.includes('all')) return { wild: true, vms: list, missing: [], names };
  const found: KvmVm[] = [];
  const missing: string[] = [];
  for (const n of names) {
    const vm = /^-?\d+$/.test(n)
      ? list.find((v) => v.id === Number(n))
      : list.find((v) => v.name === n);
    if (vm) {
      if (!found.includes(vm)) found.push(vm);
    } else missing.push(n);
  }
  return { wild: false, vms: found, missing, names };
}

/**
 * Runs `fn` on each target. A single non-wild target that is missing gives
 * `vm not found: X`; one where `fn` says "not applicable" gives `VM state
 * error: X`. Errors from several VMs are joined with newlines.
 */
export async function applyTargets(t: Targets, fn: (vm: KvmVm) => Promise<boolean>): Promise<void> {
  if (!t.wild && t.names.length === 1 && t.missing.length === 1) {
    throw new Error(`vm not found: ${t.missing[0]}`);
  }
  const errors: string[] = [];
  await Promise.all(
    t.vms.map(async (vm) => {
      try {
        const applied = await fn(vm);
        if (!applied && !t.wild && t.names.length === 1)
          errors.push(`VM state error: ${t.names[0]}`);
      } catch (err) {
        errors.push((err as Error).message);
      }
    }),
  );
  if (errors.length > 0) throw new Error(errors.join('\n'));
}

/**
 * Tab completion of a `<vm ...>` item (minimega's VM suggest): names of the
 * active namespace's VMs the command applies to, plus `all` when `wild`.
 */
export function vmSuggester(
  d: Daemon,
  opts: { applies?: (vm: KvmVm) => boolean; wild: boolean },
): (raw: string, key: string, prefix: string) => Promise<string[]> {
  return async (_raw, key, prefix) => {
    if (key !== 'vm') return [];
    const ns = await resolveNs(d, '');
    const names = [...ns.slot(VM_STATE).vms.values()]
      .filter(opts.applies ?? (() => true))
      .map((vm) => vm.name);
    if (opts.wild) names.push('all');
    return names.filter((n) => n.startsWith(prefix));
  };
}
