// The work directory (<files>/.iomesh) holds, per transfer, `<key>.tmp` (the
// preallocated file parts land in) and `<key>.json` (the verified parts, for
// a resume); the key is the content hash, with `-<n>` added for a second
// file of the same content pulled at the same time. A transfer that failed keeps both so a retry resumes; one that
// nobody retries is abandoned and its files go after `keepMs`. At start-up
// nothing is running, so anything else in the directory (a temp file without
// its state, a state without its file, files of an older layout) is garbage.
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

const ENTRY = /^([0-9a-f]{64}(?:-\d+)?)\.(tmp|json)$/;

/** the temporary and state files of the transfer `key` in `workDir` */
export function partialFiles(workDir: string, key: string): [string, string] {
  return [join(workDir, `${key}.tmp`), join(workDir, `${key}.json`)];
}

export async function removePartial(workDir: string, key: string): Promise<void> {
  await Promise.all(partialFiles(workDir, key).map((p) => rm(p, { force: true })));
}

/**
 * Remove what no transfer can resume: everything but `<hash>.tmp` +
 * `<hash>.json` pairs touched within `keepMs`. Returns the names removed.
 */
export async function sweepWorkDir(
  workDir: string,
  keepMs: number,
  now = Date.now(),
): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(workDir);
  } catch {
    return [];
  }
  const pairs = new Map<string, { tmp?: number; json?: number }>();
  const junk: string[] = [];
  await Promise.all(
    names.map(async (n) => {
      const m = ENTRY.exec(n);
      const st = m ? await stat(join(workDir, n)).catch(() => undefined) : undefined;
      if (!m || !st?.isFile()) {
        junk.push(n);
        return;
      }
      const p = pairs.get(m[1] as string) ?? {};
      p[m[2] as 'tmp' | 'json'] = st.mtimeMs;
      pairs.set(m[1] as string, p);
    }),
  );
  for (const [hash, p] of pairs) {
    const fresh = Math.max(p.tmp ?? 0, p.json ?? 0) > now - keepMs;
    if (p.tmp !== undefined && p.json !== undefined && fresh) continue;
    if (p.tmp !== undefined) junk.push(`${hash}.tmp`);
    if (p.json !== undefined) junk.push(`${hash}.json`);
  }
  await Promise.all(junk.map((n) => rm(join(workDir, n), { recursive: true, force: true })));
  return junk.sort();
}
