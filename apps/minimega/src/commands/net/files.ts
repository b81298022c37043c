// The state files minimega keeps under <base> (ovs-net.md §2, §3.2, §5.5):
// tab-aligned tables rewritten after every change, for people and `nuke`.
import { rename, rm, writeFile } from 'node:fs/promises';

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
/** one write chain per file: writes land in call order, each rendering the state of its turn */
const chains = new Map<string, Promise<void>>();

/** Best-effort write: a failing state file never fails the command. */
export function writeStateFile(path: string, render: () => string): Promise<void> {
  const next = (chains.get(path) ?? Promise.resolve()).then(async () => {
    try {
      // no mkdir: <base> exists while the daemon runs, and a write that lands
      // after teardown must not bring a removed base back
      // write-then-rename: readers never see a half-written table
      const tmp = `${path}.${process.pid}.${++seq}.tmp`;
      await writeFile(tmp, render());
      await rename(tmp, path);
    } catch {
      // the base dir may be gone during shutdown
    }
  });
  chains.set(path, next);
  return next;
}

/** Removes a state file after any pending write to it. */
export function removeStateFile(path: string): Promise<void> {
  const next = (chains.get(path) ?? Promise.resolve()).then(async () => {
    await rm(path, { force: true }).catch(() => undefined);
  });
  chains.set(path, next);
  return next;
}

/** Waits for every pending state-file write (shutdown). */
export async function flushStateFiles(): Promise<void> {
  await Promise.all(chains.values());
}
