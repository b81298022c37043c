// The state files minimega keeps under <base> (ovs-net.md §2, §3.2, §5.5):
// tab-aligned tables rewritten after every change, for people and `nuke`.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Aligns columns like Go's tabwriter (padding 1). */
export function alignTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 1)))
        .join('')
        .trimEnd(),
    )
    .map((l) => `${l}\n`)
    .join('');
}

let seq = 0;

/** Best-effort write: a failing state file never fails the command. */
export async function writeStateFile(path: string, text: string): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true });
    // write-then-rename: readers never see a half-written table
    const tmp = `${path}.${process.pid}.${++seq}.tmp`;
    await writeFile(tmp, text);
    await rename(tmp, path);
  } catch {
    // the base dir may be gone during shutdown
  }
}

export async function removeStateFile(path: string): Promise<void> {
  await rm(path, { force: true }).catch(() => undefined);
}
