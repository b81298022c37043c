// QEMUs a cluster left behind: found through /proc by their command line
// (which names their instance dir under the cluster's dir), told apart from
// ones already on their way out (a SIGKILL pending), and described well
// enough that a failed CI run says whose VM it was and what its daemon said.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** QEMU processes whose command line is inside `dir` (the cluster's bases). */
export function qemuUnder(dir: string): number[] {
  const out: number[] = [];
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const comm = readFileSync(`/proc/${n}/comm`, 'utf8').trim();
      if (!comm.startsWith('qemu-system')) continue;
      if (readFileSync(`/proc/${n}/cmdline`, 'utf8').includes(`${dir}/`)) out.push(Number(n));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** true when `pid` has a SIGKILL queued (it is exiting, just not gone yet) */
export function sigkillPending(pid: number): boolean {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const bit = 1n << 8n; // signal 9, bit 8 of the masks
    return ['SigPnd', 'ShdPnd'].some((k) => {
      const hex = new RegExp(`^${k}:\\s*([0-9a-f]+)`, 'm').exec(status)?.[1];
      return hex !== undefined && (BigInt(`0x${hex}`) & bit) !== 0n;
    });
  } catch {
    return false;
  }
}

/**
 * The QEMUs under `dir` still there once those already killed have had
 * `waitMs` to finish exiting; processes with no SIGKILL pending are never
 * waited for (nothing is going to end them).
 */
export async function leftQemus(dir: string, waitMs = 5000): Promise<number[]> {
  const end = Date.now() + waitMs;
  for (;;) {
    const left = qemuUnder(dir);
    if (left.length === 0 || !left.some(sigkillPending) || Date.now() > end) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * One line about an orphaned QEMU: its host and instance (from its command
 * line `<dir>/<host>/<id>/…`), the VM's record when its instance dir is
 * still there, and the lines of the host's daemon log that name the VM.
 */
export function describeOrphan(dir: string, pid: number): string {
  const argv = (read(`/proc/${pid}/cmdline`) ?? '').split('\0');
  const esc = dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = argv.map((a) => new RegExp(`${esc}/([^/]+)/(\\d+)/`).exec(a)).find((x) => x);
  if (!m) return `pid ${pid}: ${argv.join(' ').slice(0, 200)}`;
  const [, host, id] = m;
  const inst = join(dir, host!, id!);
  const parts = [`pid ${pid}: host ${host}, instance ${id}`];
  const rec = read(join(inst, 'vm.json'));
  if (rec) {
    try {
      const r = JSON.parse(rec) as Record<string, unknown>;
      parts.push(
        `record ${r.namespace}/${r.name} state ${r.state} pid ${r.pid}, qemu.pid ${read(join(inst, 'qemu.pid'))?.trim() ?? '-'}`,
      );
    } catch {
      parts.push('vm.json unreadable');
    }
  } else parts.push(existsSync(inst) ? 'no vm.json' : 'instance dir removed');
  const log = read(join(dir, `${host}.log`)) ?? '';
  const name = /"name":\s*"([^"]+)"/.exec(rec ?? '')?.[1];
  const said = log
    .split('\n')
    .filter(
      (l) =>
        l.includes(`(id ${id})`) ||
        l.includes(`/${id}/`) ||
        (name !== undefined && l.includes(name)) ||
        /shutting down|shutdown|stopped:|killed \d+ processes/.test(l),
    )
    .slice(-12);
  parts.push(
    said.length > 0 ? `${host}.log says:\n    ${said.join('\n    ')}` : `${host}.log: nothing`,
  );
  return parts.join('; ');
}
