// services.files: what the `file:`, `tar:` and `http(s)://` argument prefixes
// call (iomeshage.md §9). A fetch blocks its command until the file is here
// (or fails with the transfer's error); progress goes to the client's status.
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { cleanRel, type Iomeshage, type TransferProgress } from '@mm/iomeshage';
import { extractTarRoot } from '@mm/qemu';
import { execa } from 'execa';
import type { Daemon, FileFetcher } from '../../context.js';
import { percent, rate } from './format.js';
import { download } from './http.js';

type Env = { signal?: AbortSignal; status?: (msg: string) => void };

/** at most one progress line per file every `ms` */
function progressReporter(env: Env, ms = 2000): (p: TransferProgress) => void {
  const last = new Map<string, number>();
  return (p) => {
    if (!env.status || p.state !== 'running') return;
    const now = Date.now();
    if (now - (last.get(p.name) ?? 0) < ms) return;
    last.set(p.name, now);
    env.status(
      `transferring file ${p.name}: ${percent(p.bytes, p.size)} complete (${rate(p.rate)} from ${p.sources.length} node(s))`,
    );
  };
}

async function backingFile(path: string, signal?: AbortSignal): Promise<string | undefined> {
  const r = await execa('qemu-img', ['info', '--output=json', path], {
    reject: false,
    ...(signal ? { cancelSignal: signal } : {}),
  }).catch(() => undefined);
  if (r?.exitCode !== 0) return undefined;
  try {
    const info = JSON.parse(String(r.stdout)) as { 'backing-filename'?: string };
    return info['backing-filename'] || undefined;
  } catch {
    return undefined;
  }
}

export interface FullFileFetcher extends FileFetcher {
  /** `tar:<rel>`: fetch the tarball, untar it once beside itself; the directory */
  tar(rel: string, env: Env): Promise<string>;
  /** `http(s)://...`: from the mesh when a node has `<filepath>/<url path>`, else downloaded */
  url(url: URL, env: Env): Promise<string>;
}

export function createFetcher(d: Daemon, io: Iomeshage): FullFileFetcher {
  const base = () => d.flags.filepath;

  async function get(rel: string, env: Env, depth = 0): Promise<string> {
    const path = await io.fetch(cleanRel(rel), {
      ...(env.signal ? { signal: env.signal } : {}),
      onProgress: progressReporter(env),
    });
    const s = await stat(path).catch(() => undefined);
    if (!s) throw new Error(`get ${cleanRel(rel)}: file not found`);
    // a qcow2 overlay needs its backing image too (as minimega's iomHelper)
    if (s.isFile() && depth < 8) {
      const backing = await backingFile(path, env.signal);
      if (backing) {
        const abs = isAbsolute(backing) ? backing : join(dirname(path), backing);
        const r = relative(base(), abs);
        if (!r.startsWith('..') && !isAbsolute(r)) {
          try {
            await get(r, env, depth + 1);
          } catch (e) {
            throw new Error(`failed to fetch backing image ${r}: ${(e as Error).message}`);
          }
        }
      }
    }
    return path;
  }

  return {
    get: (rel, env) => get(rel, env),
    complete: (prefix) => io.complete(prefix),
    async tar(rel, env) {
      const tarball = await get(rel, env);
      return extractTarRoot(tarball, env.signal ? { signal: env.signal } : {});
    },
    async url(url, env) {
      const path = decodeURIComponent(url.pathname);
      const rel = cleanRel(path);
      if (rel === '') throw new Error(`get ${url.href}: a URL must name a file`);
      const local = join(base(), rel);
      const here = await stat(local).catch(() => undefined);
      if (here?.isFile()) return local;
      try {
        return await get(rel, env);
      } catch (e) {
        if ((e as { code?: string }).code !== 'ERR_IOMESH_NOT_FOUND') throw e;
      }
      await download(url, local, { base: base(), ...env });
      return local;
    },
  };
}
