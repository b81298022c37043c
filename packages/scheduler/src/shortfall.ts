// The "<why>" of `does not fit: <why>`: what the VM needs and what the hosts
// have left under which cap, so the user knows which flag or config to change.
import type { Demand, HostState, Shortfall } from './hosts.js';

export type CapShortfall = 'vms' | 'cpu' | 'mem';

const num = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/\.?0+$/, ''));

function room(why: CapShortfall, h: HostState): number {
  if (why === 'vms') return h.maxVms - h.vms;
  if (why === 'cpu') return h.cpuCap - h.cpu;
  return h.memCap - h.mem;
}

/** [the cap in its unit, the rule that sets it] */
function capOf(why: CapShortfall, h: HostState): [string, string] {
  if (why === 'vms') return [`${h.maxVms}`, `max ${h.maxVms} VMs per host`];
  if (why === 'cpu')
    return [num(h.cpuCap), `cpu overcommit ${num(h.cpuCap / h.cpus)} × ${h.cpus} CPUs`];
  return [
    `${num(h.memCap)} MB`,
    `memory overcommit ${num(h.memCap / h.memTotal)} × ${h.memTotal} MB`,
  ];
}

/** the order reasons are listed in (fixed, so the message never depends on host order) */
const ORDER: readonly Shortfall[] = ['android', 'coschedule', 'vms', 'cpu', 'mem'];

const unit: Record<CapShortfall, string> = { vms: 'VM slot(s)', cpu: 'vCPU(s)', mem: 'MB' };

/** `vm` is already a label: `vm NAME`, or `an unnamed VM (queue entry I)` for one launched by count */
function who(vm: string, d: Demand): string {
  return d.vms > 1 ? `${vm} and the ${d.vms - 1} VM(s) colocated with it` : vm;
}

/** `vm` must go to `h`, which lacks room under the cap `why`. */
export function describePinned(why: CapShortfall, h: HostState, d: Demand, vm: string): string {
  const need = why === 'vms' ? d.vms : why === 'cpu' ? d.cpu : d.mem;
  const [cap, rule] = capOf(why, h);
  return `${who(vm, d)} needs ${need} ${unit[why]}; host ${h.name} (pinned) has ${num(Math.max(0, room(why, h)))} of ${cap} left (${rule})`;
}

/** No host fits `vm`: count the hosts by the first rule each breaks, and name the roomiest per cap. */
export function describeNowhere(
  hosts: readonly HostState[],
  why: (h: HostState) => Shortfall | undefined,
  d: Demand,
  vm: string,
): string {
  const count = new Map<Shortfall, number>();
  const best = new Map<CapShortfall, HostState>();
  for (const h of hosts) {
    const w = why(h);
    if (!w) continue;
    count.set(w, (count.get(w) ?? 0) + 1);
    if (w === 'android' || w === 'coschedule') continue;
    const b = best.get(w);
    if (!b || room(w, h) > room(w, b) || (room(w, h) === room(w, b) && h.name < b.name))
      best.set(w, h);
  }
  const parts: string[] = [];
  const of = (n: number) => `${n} of ${hosts.length} host(s)`;
  for (const w of ORDER) {
    const n = count.get(w);
    if (!n) continue;
    if (w === 'android') parts.push(`${of(n)} lack ${d.android} Android slot(s)`);
    else if (w === 'coschedule') parts.push(`${of(n)} are at a coschedule limit`);
    else {
      const b = best.get(w) as HostState;
      const need = w === 'vms' ? d.vms : w === 'cpu' ? d.cpu : d.mem;
      const [cap, rule] = capOf(w, b);
      const left = num(Math.max(0, room(w, b)));
      parts.push(
        `${of(n)} have less than ${need} ${unit[w]} left (the most: ${left} of ${cap} on ${b.name}, ${rule})`,
      );
    }
  }
  return `${who(vm, d)} needs ${d.cpu} vCPU(s), ${d.mem} MB; no host has room: ${parts.join('; ')}`;
}
