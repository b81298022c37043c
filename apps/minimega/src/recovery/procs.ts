// What runs on this machine, read from /proc: which processes belong to a
// minimega base (their command line or working directory is inside it), and
// whether a recorded pid still is the process it was (pids get reused).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ProcInfo {
  pid: number;
  /** the kernel's command name (15 characters at most) */
  comm: string;
  argv: string[];
  /** working directory ('' when unreadable) */
  cwd: string;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** One process, or undefined when it is gone (or a zombie: it runs nothing any more). */
export function procInfo(pid: number): ProcInfo | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // `pid (comm) S ...`: comm may hold spaces and parentheses
  const close = stat.lastIndexOf(')');
  const comm = stat.slice(stat.indexOf('(') + 1, close);
  const state = stat.slice(close + 2, close + 3);
  if (state === 'Z' || state === 'X') return undefined;
  const raw = read(`/proc/${pid}/cmdline`) ?? '';
  const argv = raw.split('\0');
  if (argv[argv.length - 1] === '') argv.pop();
  let cwd = '';
  try {
    cwd = readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    // another user's process, or gone
  }
  return { pid, comm, argv, cwd };
}

/** Every process on the machine (this one included). */
export function listProcs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = procInfo(Number(name));
    if (p) out.push(p);
  }
  return out;
}

/** Whether `p` works inside `base`: an argument names a path in it, or its cwd is in it. */
export function usesBase(p: ProcInfo, base: string): boolean {
  const prefix = `${base.replace(/\/+$/, '')}/`;
  if (p.cwd === base || p.cwd.startsWith(prefix)) return true;
  return p.argv.some((a) => a.includes(prefix));
}

/** Programs a minimega daemon starts; nothing else is ever killed by `nuke`. */
const STARTED = [/^qemu-system-/, /^dnsmasq$/, /^ovsdb-server$/, /^ovs-vswitchd$/];

export function isStartedProgram(p: ProcInfo): boolean {
  return STARTED.some((re) => re.test(p.comm));
}

/**
 * Whether the recorded `pid` still is the same process: alive, and its
 * command line names `mark` (the VM's instance dir or UUID), so a reused pid
 * is never taken for it.
 */
export function stillRuns(pid: number, mark: string): ProcInfo | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const p = procInfo(pid);
  if (!p) return undefined;
  if (mark && !p.argv.some((a) => a.includes(mark)) && !p.cwd.startsWith(mark)) return undefined;
  return p;
}

/** Resolves once `pid` is gone (or after `ms`); true when it is gone. */
export async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (let delay = 5; Date.now() < deadline; delay = Math.min(delay * 2, 50)) {
    if (!procInfo(pid)) return true;
    await new Promise((r) => setTimeout(r, delay));
  }
  return !procInfo(pid);
}

/** Sends `sig`; false when there is no such process. */
export function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}
