// The processes this daemon started, found through /proc: at the end of a
// shutdown (or when it overruns -shutdown-timeout) whatever is still running
// under the daemon is killed, so `quit` and SIGTERM never leave orphans.
// VMs adopted with -recover are not descendants (a previous daemon started
// them): they are found through the VM host instead.
import { readdirSync, readFileSync } from 'node:fs';
import { stillRuns } from '../recovery/procs.js';

/** ppid of `pid` from /proc/<pid>/stat, or undefined when it is gone. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name is in parentheses and may contain spaces or ')'
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[1]);
  } catch {
    return undefined;
  }
}

/** Every descendant of `root` (children before grandchildren). */
export function descendants(root: number = process.pid): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const ppid = parentOf(pid);
    if (ppid === undefined) continue;
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  const out: number[] = [];
  const queue = [root];
  for (let i = 0; i < queue.length; i++) {
    for (const c of children.get(queue[i] as number) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/** SIGKILLs every descendant of this process; returns how many were signalled. */
export function killDescendants(): number {
  let n = 0;
  for (const pid of descendants()) {
    try {
      process.kill(pid, 'SIGKILL');
      n++;
    } catch {
      // already gone
    }
  }
  return n;
}

/** What killManagedVms needs of the local VM host. */
export interface ManagedVms {
  namespaces(): string[];
  vmsOf(namespace: string): readonly { pid: number; instanceDir: string }[];
}

/**
 * SIGKILLs the process of every VM `host` manages, children and adopted
 * alike, when it still is that VM's (its command line or working directory
 * names the instance dir: pids get reused); returns how many were signalled.
 */
export function killManagedVms(host: ManagedVms | undefined): number {
  let n = 0;
  for (const ns of host?.namespaces() ?? []) {
    for (const vm of host?.vmsOf(ns) ?? []) {
      if (vm.pid <= 0 || !stillRuns(vm.pid, vm.instanceDir)) continue;
      try {
        process.kill(vm.pid, 'SIGKILL');
        n++;
      } catch {
        // already gone
      }
    }
  }
  return n;
}
