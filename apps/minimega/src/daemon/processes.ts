// The processes this daemon started, found through /proc: at the end of a
// shutdown (or when it overruns -shutdown-timeout) whatever is still running
// under the daemon is killed, so `quit` and SIGTERM never leave orphans.
import { readdirSync, readFileSync } from 'node:fs';

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
