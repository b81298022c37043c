// Cheap structural checks of plan() inputs (callers validate wire data with
// the zod schemas; this guards the arithmetic: no NaN, no 0-CPU host).
import { InvalidInputError } from './errors.js';
import { type HostLoad, LOAD_METHODS, type Policy, type QueuedVm } from './types.js';

const isCount = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

export function validate(
  queue: readonly QueuedVm[],
  hosts: readonly HostLoad[],
  policy: Policy,
): void {
  if (policy.load !== undefined && !LOAD_METHODS.includes(policy.load)) {
    throw new InvalidInputError(
      `invalid load method: ${String(policy.load)} (want ${LOAD_METHODS.join(', ')})`,
    );
  }
  for (const k of ['cpuOvercommit', 'memOvercommit', 'maxVms', 'androidSlots'] as const) {
    const v = policy[k];
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= 0)) {
      throw new InvalidInputError(`invalid ${k}: ${String(v)} (want a number ≥ 0)`);
    }
  }
  const seen = new Set<string>();
  for (const h of hosts) {
    if (typeof h.name !== 'string' || h.name === '')
      throw new InvalidInputError('host with an empty name');
    if (seen.has(h.name)) throw new InvalidInputError(`host listed twice: ${h.name}`);
    seen.add(h.name);
    if (!isCount(h.cpus) || h.cpus < 1)
      throw new InvalidInputError(`host ${h.name}: invalid cpus ${h.cpus}`);
    if (!isCount(h.memTotal) || h.memTotal < 1) {
      throw new InvalidInputError(`host ${h.name}: invalid memtotal ${h.memTotal}`);
    }
    for (const k of ['vms', 'cpuCommit', 'memCommit', 'netCommit'] as const) {
      if (!isCount(h[k])) throw new InvalidInputError(`host ${h.name}: invalid ${k} ${h[k]}`);
    }
    if (h.androidVms !== undefined && !isCount(h.androidVms)) {
      throw new InvalidInputError(`host ${h.name}: invalid androidVms ${h.androidVms}`);
    }
    if (
      h.memOvercommit !== undefined &&
      !(
        typeof h.memOvercommit === 'number' &&
        Number.isFinite(h.memOvercommit) &&
        h.memOvercommit >= 0
      )
    )
      throw new InvalidInputError(`host ${h.name}: invalid memOvercommit ${h.memOvercommit}`);
    if (h.maxVms !== undefined && !isCount(h.maxVms))
      throw new InvalidInputError(`host ${h.name}: invalid maxVms ${h.maxVms}`);
    if (h.limit !== undefined && !(Number.isSafeInteger(h.limit) && h.limit >= -1)) {
      throw new InvalidInputError(`host ${h.name}: invalid limit ${h.limit}`);
    }
  }
  for (let i = 0; i < queue.length; i++) {
    const e = queue[i] as QueuedVm;
    if (!Array.isArray(e.names) || e.names.length === 0)
      throw new InvalidInputError(`queue entry ${i}: no names`);
    for (const k of ['vcpus', 'memory', 'nics'] as const) {
      if (!isCount(e[k])) throw new InvalidInputError(`queue entry ${i}: invalid ${k} ${e[k]}`);
    }
    if (e.coschedule !== undefined && !(Number.isSafeInteger(e.coschedule) && e.coschedule >= -1)) {
      throw new InvalidInputError(
        `queue entry ${i}: invalid coschedule ${e.coschedule} (want -1 or more)`,
      );
    }
  }
}
