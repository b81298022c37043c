// VM targets (vm-qemu.md §5): names or ids, already range-expanded by the
// caller (`foo[1-3],7` -> foo1..foo3, 7); `all` anywhere makes the call wild. The same rules on every
// VmHost so a remote host answers as a local one.
import { VmNotFoundError, VmTargetError } from './errors.js';

export interface Targeted<V> {
  wild: boolean;
  vms: V[];
  /** entries that matched nothing */
  missing: string[];
  /** the expanded entries */
  names: string[];
}

export function expandTargets<V extends { id: number; name: string }>(
  names: readonly string[],
  vms: Iterable<V>,
): Targeted<V> {
  const list = [...vms].sort((a, b) => a.id - b.id);
  if (names.includes('all')) return { wild: true, vms: list, missing: [], names: [...names] };
  const found: V[] = [];
  const missing: string[] = [];
  for (const n of names) {
    const vm = /^-?\d+$/.test(n)
      ? list.find((v) => v.id === Number(n))
      : list.find((v) => v.name === n);
    if (vm) {
      if (!found.includes(vm)) found.push(vm);
    } else missing.push(n);
  }
  return { wild: false, vms: found, missing, names: [...names] };
}

/** Throws VmNotFoundError when a single non-wild target matched nothing. */
export function requireFound<V>(t: Targeted<V>): void {
  if (!t.wild && t.names.length === 1 && t.missing.length === 1) {
    throw new VmNotFoundError(t.missing[0]!);
  }
}

/** Operations run at once by one command on many VMs. */
export const TARGET_PARALLELISM = 64;

/**
 * Runs `fn` on each target (in parallel). `fn` returning false means "not
 * applicable": for a single non-wild target that is `VM state error: X`.
 */
export async function applyTargets<V>(
  t: Targeted<V>,
  fn: (vm: V) => Promise<boolean>,
): Promise<void> {
  requireFound(t);
  const errors: string[] = [];
  // in parallel (`vm start all` sends every QMP cont at once), bounded so
  // thousands of VMs do not open thousands of writes at once
  let next = 0;
  const worker = async () => {
    while (next < t.vms.length) {
      const vm = t.vms[next++]!;
      try {
        const applied = await fn(vm);
        if (!applied && !t.wild && t.names.length === 1)
          errors.push(`VM state error: ${t.names[0]}`);
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(TARGET_PARALLELISM, t.vms.length) }, worker));
  if (errors.length > 0) throw new VmTargetError(errors);
}
