import type { HostLoad, Placement, QueuedVm } from '@mm/scheduler';

/** A host with 1 CPU, 1 MB and the given commits (as minimega's fakeHostData). */
export function host(name: string, over: Partial<HostLoad> = {}): HostLoad {
  return {
    name,
    cpus: 1,
    memTotal: 1,
    vms: 0,
    cpuCommit: 0,
    memCommit: 0,
    netCommit: 0,
    limit: -1,
    ...over,
  };
}

export function vms(names: string[] | string, over: Partial<QueuedVm> = {}): QueuedVm {
  return {
    names: typeof names === 'string' ? names.split(',') : names,
    vcpus: 1,
    memory: 1,
    nics: 0,
    ...over,
  };
}

/** host → VM names, only hosts that got VMs. */
export function names(p: Placement): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [h, list] of p.byHost) if (list.length) out[h] = list.map((a) => a.name);
  return out;
}

/** minimega's fakeHostData(N, uniform): host i has commits i (or 1), shuffled. */
export function fakeHosts(n: number, uniform: boolean): HostLoad[] {
  const hs = Array.from({ length: n }, (_, i) => {
    const c = uniform ? 1 : i;
    return host(String(i), { cpuCommit: c, memCommit: c, netCommit: c });
  });
  // a fixed shuffle: the plan must not depend on host order
  for (let i = hs.length - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [hs[i], hs[j]] = [hs[j] as HostLoad, hs[i] as HostLoad];
  }
  return hs;
}
