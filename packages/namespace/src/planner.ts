// The namespace's planner: @mm/scheduler's least-loaded-first plan() fed
// with the queue and the hosts' VmHost loads. Each placed VM keeps its
// entry's config object, so a host's consecutive VMs of one `vm launch`
// go out as one launch call.
import type { HostLoad } from '@mm/qemu';
import { type HostLoad as PlanHost, planOrThrow, type QueuedVm } from '@mm/scheduler';
import type { Planner, QueuedEntry } from './launcher.js';

type Item = QueuedVm & { readonly entry: QueuedEntry };

function toPlanHost(h: HostLoad): PlanHost {
  return {
    name: h.name,
    cpus: Math.max(1, h.cpus),
    memTotal: Math.max(1, h.memtotal),
    vms: h.vms,
    cpuCommit: h.cpucommit,
    memCommit: h.memcommit,
    netCommit: h.netcommit,
    ...(h.vmlimit > 0 ? { maxVms: h.vmlimit } : {}),
    ...(h.memovercommit ? { memOvercommit: h.memovercommit } : {}),
  };
}

export interface SchedulerPlannerOptions {
  /** most vCPUs per host CPU (0 = no cap) */
  cpuOvercommit?: number;
  /** most memory per MB of host memory (0 = no cap) */
  memOvercommit?: number;
}

export function schedulerPlanner(caps: SchedulerPlannerOptions = {}): Planner {
  return (queue, hosts, policy) => {
    const items: Item[] = queue.map((q) => ({
      names: q.names,
      type: q.type,
      vcpus: q.config.vcpus,
      memory: q.config.memory,
      nics: q.config.networks.length,
      ...(q.config.schedule ? { schedule: q.config.schedule } : {}),
      ...(q.config.colocate ? { colocate: q.config.colocate } : {}),
      coschedule: q.config.coschedule,
      entry: q,
    }));
    const placement = planOrThrow(items, hosts.map(toPlanHost), {
      load: policy.load,
      localHost: policy.localHost,
      launched: policy.launched,
      ...(caps.cpuOvercommit ? { cpuOvercommit: caps.cpuOvercommit } : {}),
      ...(caps.memOvercommit ? { memOvercommit: caps.memOvercommit } : {}),
    });
    const out = new Map<string, QueuedEntry[]>();
    for (const [host, vms] of placement.byHost) {
      if (vms.length === 0) continue;
      out.set(
        host,
        vms.map((a) => ({ ...a.entry.entry, names: [a.name] })),
      );
    }
    return out;
  };
}
