// createIomeshage: one files directory served to the mesh and filled from it.
// Composes the server (answers others), the part client (streams to sources)
// and transfers (one per file being pulled here).
import { EventEmitter, setMaxListeners } from 'node:events';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BufferPool } from './buffer-pool.js';
import { FileNotFoundError, IomeshClosedError, StreamGlobError } from './errors.js';
import { nodeFs, type TransferFs } from './fsio.js';
import { hasMeta, validatePattern } from './glob.js';
import { DEFAULT_PART_SIZE, HashCache, type Manifest, partRange } from './hashing.js';
import { list, remove } from './listing.js';
import type { IomeshMesh } from './mesh-port.js';
import { PartClient } from './part-client.js';
import { cleanPath, cleanRel, WORK_DIR } from './paths.js';
import { type Candidate, chooseVersion } from './plan.js';
import { RecentParts } from './recent-parts.js';
import { Semaphore } from './semaphore.js';
import { serve } from './server.js';
import { Transfer, type TransferProgress, type TransferState } from './transfer.js';
import { HaveKind, InfoKind, ManifestKind, type WireEntry } from './wire.js';
import { removePartial, sweepWorkDir } from './work-dir.js';

export interface IomeshOptions {
  mesh: IomeshMesh;
  /** the files directory (minimega's -filepath); created if missing */
  dir: string;
  /** preferred source node (minimega's -headnode) */
  headnode?: string;
  partSize?: number;
  /** files transferred at once (default 4; minimega: 3) */
  maxTransfers?: number;
  /** part requests in flight per file (default 4) */
  parallel?: number;
  /** how long to wait for nodes answering a locate, ms (default 10 s; slow nodes are skipped, not fatal) */
  locateTimeoutMs?: number;
  /**
   * how often a transfer asks the mesh which nodes hold parts, ms (default
   * 1 s): every receiver asks every node, so the mesh traffic grows with
   * receivers × nodes
   */
  refreshMs?: number;
  /** how long a transfer waits for a new source of an orphaned part, ms (default 3 s) */
  orphanGraceMs?: number;
  /**
   * how long the temporary file of a failed or interrupted transfer is kept
   * for a resume, ms (default 1 h); abandoned ones are removed after it, and
   * at start-up
   */
  keepPartialMs?: number;
  /**
   * bytes of recently received (or read) parts kept in memory to serve
   * other nodes without a disk read (default 0: none). Off by default: in
   * the 256 MiB x 3 bench the buffers it holds cost more (page faults
   * warming them in fresh daemons, ~+35 per MiB) than the disk reads it
   * saved; for hosts whose disk, not CPU, bounds a swarm.
   */
  keepRecentBytes?: number;
  fs?: TransferFs;
  log?: (msg: string) => void;
}

export interface FileInfo {
  /** path relative to the files directory */
  name: string;
  path: string;
  dir: boolean;
  size: number;
  mtimeMs: number;
  mode: number;
  /** content hash ('' until computed; see list's `hashes`) */
  hash: string;
}

export interface TransferStatus {
  filename: string;
  tempdir: string;
  completed: string;
  queued: boolean;
  state: TransferState;
  progress: TransferProgress;
}

export interface GetOptions {
  signal?: AbortSignal;
}

export interface IomeshEvents {
  progress: [TransferProgress];
}

export interface Iomeshage extends AsyncDisposable {
  readonly dir: string;
  /** start pulling every file matching `pattern` that another node has; resolves once started */
  get(pattern: string, opts?: GetOptions): Promise<Transfer[]>;
  /** get and wait until every matching file is here; the absolute local path of `pattern` */
  fetch(
    pattern: string,
    opts?: GetOptions & { onProgress?: (p: TransferProgress) => void },
  ): Promise<string>;
  /** the bytes of one file, in order, from this node or the mesh (no local copy kept) */
  stream(name: string, opts?: GetOptions): AsyncGenerator<Buffer>;
  list(pattern: string, opts?: { recurse?: boolean; hashes?: boolean }): Promise<FileInfo[]>;
  delete(pattern: string): Promise<void>;
  status(): TransferStatus[];
  /** relative names of files and directories matching `prefix*` on any node (completion) */
  complete(prefix: string, opts?: GetOptions): Promise<string[]>;
  on<E extends keyof IomeshEvents>(event: E, fn: (...a: IomeshEvents[E]) => void): this;
  off<E extends keyof IomeshEvents>(event: E, fn: (...a: IomeshEvents[E]) => void): this;
  close(): Promise<void>;
}

const KEEP_PARTIAL_MS = 60 * 60 * 1000;

export async function createIomeshage(o: IomeshOptions): Promise<Iomeshage> {
  await mkdir(o.dir, { recursive: true, mode: 0o755 });
  // the previous run's leftovers: only recent resumable transfers stay
  const removed = await sweepWorkDir(join(o.dir, WORK_DIR), o.keepPartialMs ?? KEEP_PARTIAL_MS);
  if (removed.length > 0) {
    o.log?.(`removed ${removed.length} abandoned temporary file(s) from ${join(o.dir, WORK_DIR)}`);
  }
  return new IomeshNode(o);
}

class IomeshNode extends EventEmitter<IomeshEvents> implements Iomeshage {
  readonly dir: string;
  readonly #mesh: IomeshMesh;
  readonly #hashes: HashCache;
  readonly #client: PartClient;
  readonly #slots: Semaphore;
  readonly #fs: TransferFs;
  readonly #log: (msg: string) => void;
  readonly #byName = new Map<string, Transfer>();
  readonly #byHash = new Map<string, Transfer>();
  /** finished-with-error transfers, kept for `file status` until retried */
  readonly #failed = new Map<string, Transfer>();
  readonly #server: { close(): void; load(): number };
  readonly #recent: RecentParts | undefined;
  readonly #ac = new AbortController();
  /** removal timers of failed transfers' temporary files, by transfer key */
  readonly #abandon = new Map<string, NodeJS.Timeout>();
  #closed = false;

  constructor(readonly o: IomeshOptions) {
    super();
    this.dir = o.dir;
    this.#mesh = o.mesh;
    this.#hashes = new HashCache(o.partSize ?? DEFAULT_PART_SIZE);
    // parts in flight here and parts served to others share one set of buffers
    const pool = new BufferPool(o.partSize ?? DEFAULT_PART_SIZE, 2 * (o.parallel ?? 4) + 4);
    const keep = o.keepRecentBytes ?? 0;
    this.#recent = keep > 0 ? new RecentParts(keep) : undefined;
    this.#client = new PartClient(o.mesh, pool, undefined, this.#recent);
    this.#slots = new Semaphore(o.maxTransfers ?? 4);
    this.#fs = o.fs ?? nodeFs;
    this.#log = o.log ?? (() => {});
    // every transfer listens on it
    setMaxListeners(0, this.#ac.signal);
    this.#server = serve(o.mesh, {
      dir: o.dir,
      hashes: this.#hashes,
      ...(this.#recent ? { recent: this.#recent } : {}),
      receiving: (h) => this.#byHash.get(h),
      receivingName: (n) => this.#byName.get(n),
      log: this.#log,
    });
  }

  #check(): void {
    if (this.#closed) throw new IomeshClosedError();
  }

  /** every node's matches for `rel` (slow or failing nodes are skipped and logged) */
  async #locate(rel: string, signal?: AbortSignal): Promise<Map<string, WireEntry[]>> {
    const rows = await this.#mesh.broadcast(
      InfoKind,
      { pattern: rel },
      { timeout: this.o.locateTimeoutMs ?? 10_000, ...(signal ? { signal } : {}) },
    );
    const out = new Map<string, WireEntry[]>();
    for (const r of rows) {
      if (r.ok) out.set(r.host, r.value.entries);
      else if (r.error.message !== 'syntax error in pattern') {
        this.#log(`locate ${rel} on ${r.host}: ${r.error.message}`);
      }
    }
    return out;
  }

  async get(pattern: string, opts: GetOptions = {}): Promise<Transfer[]> {
    this.#check();
    const rel = cleanRel(pattern);
    validatePattern(rel);
    const local = await list(this.dir, rel, { recurse: true, dirs: true }).catch(() => []);
    const remote = await this.#locate(rel, opts.signal);
    const holders = new Map<string, string[]>();
    const dirs = new Map<string, number>();
    for (const [host, entries] of remote) {
      for (const e of entries) {
        if (e.dir) {
          if (!dirs.has(e.name)) dirs.set(e.name, e.mode);
          continue;
        }
        const hs = holders.get(e.name) ?? [];
        hs.push(host);
        holders.set(e.name, hs);
      }
    }
    if (holders.size === 0 && dirs.size === 0 && local.length === 0) {
      // named as typed, as minimega does (`get /minitest/zero: file not found`)
      throw new FileNotFoundError('get', pattern);
    }
    // directories arrive with their permission bits
    for (const [name, mode] of [...dirs].sort(([a], [b]) => a.length - b.length)) {
      const p = cleanPath(this.dir, name);
      const existed = await stat(p).then(
        () => true,
        () => false,
      );
      if (!existed) {
        await mkdir(p, { recursive: true, mode: 0o755 });
        await chmod(p, mode).catch(() => {});
      }
    }
    const started: Transfer[] = [];
    const names = [...holders.keys()];
    // a random order, as minimega: receivers of one directory spread their sources
    for (let i = names.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [names[i], names[j]] = [names[j] as string, names[i] as string];
    }
    await Promise.all(
      names.map(async (name) => {
        const t = await this.#start(name, holders.get(name) as string[], opts.signal);
        if (t) started.push(t);
      }),
    );
    // empty files are complete once get returns (a listing right after a get
    // of a directory shows them), whatever the outcome (in done, status)
    await Promise.all(
      started.filter((t) => t.spec.manifest.size === 0).map((t) => t.done.catch(() => {})),
    );
    return started;
  }

  /** decide the version of `name` to hold and start pulling it if this node lacks it */
  async #start(
    name: string,
    holders: string[],
    signal?: AbortSignal,
  ): Promise<Transfer | undefined> {
    const running = this.#byName.get(name);
    if (running) return running;
    const rows = await this.#mesh.send(
      holders,
      ManifestKind,
      { name },
      {
        timeout: this.o.locateTimeoutMs ?? 10_000,
        ...(signal ? { signal } : {}),
      },
    );
    const cands: (Candidate & { mode: number; manifest: Manifest })[] = [];
    const partial = new Map<string, { hash: string; done: number[] }>();
    for (const r of rows) {
      if (!r.ok) {
        this.#log(`manifest of ${name} from ${r.host}: ${r.error.message}`);
        continue;
      }
      const f = r.value.file;
      if (f)
        cands.push({
          host: r.host,
          mtimeMs: f.mtimeMs,
          hash: f.manifest.hash,
          mode: f.mode,
          manifest: f.manifest,
        });
      if (r.value.receiving) partial.set(r.host, r.value.receiving);
    }
    const dest = cleanPath(this.dir, name);
    let localHash = '';
    try {
      const s = await stat(dest);
      if (s.isFile()) {
        const m = await this.#hashes.manifest(dest, signal);
        localHash = m.hash;
        cands.push({
          host: this.#mesh.name,
          mtimeMs: s.mtimeMs,
          hash: m.hash,
          mode: s.mode & 0o7777,
          manifest: m,
        });
      }
    } catch {
      // no local copy
    }
    const chosen = chooseVersion(cands, this.o.headnode ?? '');
    if (!chosen || chosen.hash === localHash) return undefined;
    if (this.#byName.has(name)) return this.#byName.get(name);
    const sources = new Map<string, { complete: boolean; have?: number[] }>();
    for (const c of cands) {
      if (c.hash === chosen.hash && c.host !== this.#mesh.name)
        sources.set(c.host, { complete: true });
    }
    for (const [host, p] of partial) {
      if (p.hash === chosen.hash && !sources.has(host))
        sources.set(host, { complete: false, have: p.done });
    }
    const before = this.#failed.get(name);
    this.#failed.delete(name);
    // another file of this content on its way here: its own temporary file
    let key = chosen.hash;
    for (let n = 0; this.#running(key); n++) {
      key = `${chosen.hash}-${n}`;
    }
    this.#keep(key);
    // a failed pull of another version of this name is abandoned now
    if (before && before.hash !== chosen.hash) this.#drop(before);
    const t = new Transfer(
      {
        name,
        dest,
        workDir: join(this.dir, WORK_DIR),
        manifest: chosen.manifest,
        mode: chosen.mode,
        mtimeMs: chosen.mtimeMs,
        key,
        sources,
      },
      {
        fs: this.#fs,
        fetchPart: (host, m, i, sig) => this.#client.fetch(host, m, i, sig),
        fetchPartTo: (host, m, i, sig, file, arrived) =>
          this.#client.fetchTo(host, m, i, sig, file, arrived),
        release: (data) => this.#client.pool.release(data),
        whoHas: (hash, sig) => this.#whoHas(hash, sig),
        slot: (sig) => this.#slots.acquire(sig),
        onProgress: (p) => this.emit('progress', p),
        log: this.#log,
        parallel: this.o.parallel ?? 4,
        refreshMs: this.o.refreshMs ?? 1000,
        orphanGraceMs: this.o.orphanGraceMs ?? 3000,
      },
      this.#ac.signal,
    );
    this.#byName.set(name, t);
    // parts of this content are served from the first transfer of it
    if (!this.#byHash.has(t.hash)) this.#byHash.set(t.hash, t);
    t.done
      .then(
        () => this.#hashes.seed(dest, chosen.manifest).catch(() => {}),
        () => {
          this.#failed.set(name, t);
          this.#dropLater(t);
        },
      )
      .finally(() => {
        if (this.#byName.get(name) === t) this.#byName.delete(name);
        if (this.#byHash.get(t.hash) === t) this.#byHash.delete(t.hash);
      });
    return t;
  }

  /** a new transfer of `key` takes over its temporary file */
  #keep(key: string): void {
    clearTimeout(this.#abandon.get(key));
    this.#abandon.delete(key);
  }

  #running(key: string): boolean {
    return [...this.#byName.values()].some((x) => x.key === key);
  }

  /** remove a failed transfer's temporary files unless another transfer took them over */
  #drop(t: Transfer): void {
    this.#keep(t.key);
    if ([...this.#byName.values()].some((x) => x.key === t.key && x !== t)) return;
    void removePartial(t.spec.workDir, t.key).catch(() => {});
  }

  /** nobody retried a failed transfer within keepPartialMs: it is abandoned */
  #dropLater(t: Transfer): void {
    this.#keep(t.key);
    // closing: kept for a resume after a restart (the next start-up sweeps old ones)
    if (this.#closed) return;
    const timer = setTimeout(() => {
      this.#abandon.delete(t.key);
      if (this.#running(t.key)) return;
      this.#log(`removing the temporary file of ${t.name}: not retried`);
      void removePartial(t.spec.workDir, t.key).catch(() => {});
    }, this.o.keepPartialMs ?? KEEP_PARTIAL_MS);
    timer.unref();
    this.#abandon.set(t.key, timer);
  }

  async #whoHas(hash: string, signal: AbortSignal) {
    const rows = await this.#mesh.broadcast(HaveKind, { hash }, { timeout: 5000, signal });
    const out: {
      host: string;
      have: NonNullable<(typeof rows)[number] & { ok: true }>['value'] & object;
    }[] = [];
    for (const r of rows) if (r.ok && r.value) out.push({ host: r.host, have: r.value });
    return out;
  }

  async fetch(
    pattern: string,
    opts: GetOptions & { onProgress?: (p: TransferProgress) => void } = {},
  ): Promise<string> {
    const ts = await this.get(pattern, opts);
    const on = (p: TransferProgress) => {
      if (ts.some((t) => t.name === p.name)) opts.onProgress?.(p);
    };
    this.on('progress', on);
    try {
      await Promise.all(ts.map((t) => t.done));
    } finally {
      this.off('progress', on);
    }
    return cleanPath(this.dir, pattern);
  }

  async *stream(name: string, opts: GetOptions = {}): AsyncGenerator<Buffer> {
    this.#check();
    const rel = cleanRel(name);
    validatePattern(rel);
    const dest = cleanPath(this.dir, rel);
    const local = await list(this.dir, rel, { recurse: true }).catch(() => []);
    const remote = await this.#locate(rel, opts.signal);
    const holders: string[] = [];
    let glob = hasMeta(rel) || local.some((e) => e.rel !== rel);
    for (const [host, entries] of remote) {
      if (entries.length === 0) continue;
      if (entries.length > 1 || entries[0]?.name !== rel || entries[0]?.dir) glob = true;
      holders.push(host);
    }
    if (holders.length === 0 && local.length === 0) throw new FileNotFoundError('stream', rel);
    if (glob) throw new StreamGlobError();
    const rows = await this.#mesh.send(
      holders,
      ManifestKind,
      { name: rel },
      {
        ...(opts.signal ? { signal: opts.signal } : {}),
      },
    );
    const cands: (Candidate & { manifest: Manifest })[] = [];
    for (const r of rows) {
      if (r.ok && r.value.file) {
        cands.push({
          host: r.host,
          mtimeMs: r.value.file.mtimeMs,
          hash: r.value.file.manifest.hash,
          manifest: r.value.file.manifest,
        });
      }
    }
    let localHash = '';
    if (local.length === 1) {
      const m = await this.#hashes.manifest(dest, opts.signal);
      localHash = m.hash;
      cands.push({
        host: this.#mesh.name,
        mtimeMs: local[0]?.mtimeMs ?? 0,
        hash: m.hash,
        manifest: m,
      });
    }
    const chosen = chooseVersion(cands, this.o.headnode ?? '');
    if (!chosen) throw new FileNotFoundError('stream', rel);
    const m = chosen.manifest;
    if (chosen.hash === localHash) {
      const rs = createReadStream(dest, {
        highWaterMark: m.partSize,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      for await (const chunk of rs as AsyncIterable<Buffer>) yield chunk;
      return;
    }
    const sources = cands
      .filter((c) => c.hash === chosen.hash && c.host !== this.#mesh.name)
      .map((c) => c.host);
    const signal = opts.signal ?? this.#ac.signal;
    for (let i = 0; i < m.parts.length; i++) {
      let data: Buffer | undefined;
      let last: unknown;
      for (let k = 0; k < sources.length && !data; k++) {
        const host = sources[(i + k) % sources.length] as string;
        try {
          data = await this.#client.fetch(host, m, i, signal);
        } catch (e) {
          last = e;
        }
      }
      if (!data) {
        const [s, e] = partRange(m.size, m.partSize, i);
        throw new Error(
          `stream ${rel}: bytes ${s}-${e} unavailable: ${(last as Error)?.message ?? 'no source'}`,
        );
      }
      yield data;
    }
  }

  async list(
    pattern: string,
    opts: { recurse?: boolean; hashes?: boolean } = {},
  ): Promise<FileInfo[]> {
    const entries = await list(this.dir, cleanRel(pattern), { recurse: opts.recurse === true });
    return Promise.all(
      entries.map(async (e) => ({
        name: e.rel,
        path: e.path,
        dir: e.dir,
        size: e.size,
        mtimeMs: e.mtimeMs,
        mode: e.mode,
        hash:
          e.dir || !opts.hashes
            ? ''
            : await this.#hashes.manifest(e.path).then(
                (m) => m.hash,
                () => '',
              ),
      })),
    );
  }

  async delete(pattern: string): Promise<void> {
    for (const p of await remove(this.dir, cleanRel(pattern))) this.#hashes.forget(p);
  }

  status(): TransferStatus[] {
    const rows = [...this.#byName.values(), ...this.#failed.values()];
    return rows.map((t) => {
      const p = t.progress();
      return {
        filename: t.name,
        tempdir: t.tmp,
        completed: `${p.parts}/${p.totalParts}`,
        queued: t.state === 'queued',
        state: t.state,
        progress: p,
      };
    });
  }

  async complete(prefix: string, opts: GetOptions = {}): Promise<string[]> {
    const rel = cleanRel(prefix);
    const pattern = `${prefix.replace(/[*?[\\]/g, '\\$&')}*`;
    const names = new Set<string>();
    const add = (name: string, dir: boolean) => {
      // one level below the typed directory: a file or `dir/`
      const rest = name.slice(rel.length);
      const cut = rest.indexOf('/', rest.startsWith('/') ? 1 : 0);
      if (cut >= 0) names.add(name.slice(0, rel.length + cut + 1));
      else names.add(dir ? `${name}/` : name);
    };
    for (const e of await list(this.dir, pattern, {}).catch(() => [])) add(e.rel, e.dir);
    for (const entries of (await this.#locate(pattern, opts.signal)).values()) {
      for (const e of entries) add(e.name, e.dir);
    }
    return [...names].filter((n) => n.startsWith(rel)).sort();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#ac.abort();
    this.#server.close();
    this.#client.close();
    this.#recent?.clear();
    // kept for a resume after a restart; the next start-up sweeps them when old
    for (const timer of this.#abandon.values()) clearTimeout(timer);
    this.#abandon.clear();
    await Promise.allSettled([...this.#byName.values()].map((t) => t.done));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
