// Three hosts, a queue of four VMs: two pinned and colocated, two spread by load.
// Run: pnpm exec tsx --conditions=source examples/basic.ts
import { fileURLToPath } from 'node:url';
import { type HostLoad, plan, type QueuedVm } from '@mm/scheduler';

export function example(): string {
  const hosts: HostLoad[] = [
    { name: 'mm1', cpus: 8, memTotal: 16384, vms: 2, cpuCommit: 4, memCommit: 4096, netCommit: 2 },
    { name: 'mm2', cpus: 8, memTotal: 16384, vms: 0, cpuCommit: 0, memCommit: 0, netCommit: 0 },
    { name: 'mm3', cpus: 4, memTotal: 8192, vms: 1, cpuCommit: 1, memCommit: 1024, netCommit: 1 },
  ];
  const queue: QueuedVm[] = [
    { names: ['db'], vcpus: 2, memory: 4096, nics: 1, schedule: 'mm1' },
    { names: ['cache'], vcpus: 1, memory: 1024, nics: 1, colocate: 'db' },
    { names: ['web1', 'web2'], vcpus: 2, memory: 2048, nics: 1 },
    { names: ['huge'], vcpus: 16, memory: 1024, nics: 0 },
  ];
  const lines: string[] = [];
  const ok = plan(queue.slice(0, 3), hosts, { load: 'cpucommit' });
  if (ok.ok) {
    for (const [host, vms] of ok.placement.byHost)
      lines.push(`${host}: ${vms.map((a) => a.name).join(' ')}`);
  }
  // at most 2 vCPUs per CPU: `huge` fits nowhere, and the error says why
  const tooBig = plan(queue, hosts, { cpuOvercommit: 2 });
  if (!tooBig.ok) lines.push(`${tooBig.error.code}: ${tooBig.error.message}`);
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(example());
