// At start-up without -recover: are VMs of a previous daemon still running
// under this base? Then say so, and how to adopt or remove them, instead of
// silently reusing their ids and instance dirs.
import { findInstances } from './instances.js';
import { stillRuns } from './procs.js';

export interface Leftovers {
  /** instance ids whose process still runs */
  live: number[];
  /** instance dirs whose process is gone */
  dead: number[];
}

export async function findLeftovers(base: string): Promise<Leftovers> {
  const live: number[] = [];
  const dead: number[] = [];
  for (const inst of await findInstances(base)) {
    const pids = [inst.record?.pid ?? 0, inst.qemuPid].filter((p) => p > 0);
    if (pids.some((p) => stillRuns(p, inst.dir))) live.push(inst.id);
    else dead.push(inst.id);
  }
  return { live, dead };
}

/** The start-up notice, or undefined when nothing of a previous instance runs. */
export function leftoverNotice(base: string, l: Leftovers): string | undefined {
  if (l.live.length === 0) return undefined;
  const ids = l.live.length > 10 ? `${l.live.slice(0, 10).join(', ')}, ...` : l.live.join(', ');
  return (
    `${l.live.length} VM(s) of a previous minimega still run under ${base} (instance ids ${ids}): ` +
    `restart with -recover to adopt them, or remove them with "minimega -base ${base} -nuke" ` +
    '(or "nuke" at this prompt)'
  );
}
