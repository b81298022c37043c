// The state files a host network keeps under its base dir (ovs-net.md §2,
// §3.2, §5.5): tab-aligned tables rewritten after every change, for people,
// `nuke` and `-recover`.
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

/** One write chain per file: writes land in call order, each rendering the state of its turn. */
export class StateFiles {
  readonly #chains = new Map<string, Promise<void>>();

  /** Best-effort write: a failing state file never fails the operation. */
  write(path: string, render: () => string): Promise<void> {
    return this.#chain(path, async () => {
      try {
        // no mkdir: the base exists while the daemon runs, and a write that
        // lands after teardown must not bring a removed base back;
        // write-then-rename: readers never see a half-written table
        const tmp = `${path}.${process.pid}.${++seq}.tmp`;
        await writeFile(tmp, render());
        await rename(tmp, path);
      } catch {
        // the base dir may be gone during shutdown
      }
    });
  }

  /** Removes a state file after any pending write to it. */
  remove(path: string): Promise<void> {
    return this.#chain(path, async () => {
      await rm(path, { force: true }).catch(() => undefined);
    });
  }

  /** Waits for every pending write (shutdown). */
  async flush(): Promise<void> {
    await Promise.all(this.#chains.values());
  }

  #chain(path: string, step: () => Promise<void>): Promise<void> {
    const next = (this.#chains.get(path) ?? Promise.resolve()).then(step);
    this.#chains.set(path, next);
    return next;
  }
}
