// One file pulled to this node: a preallocated temporary file in the work
// directory, parts fetched concurrently from every node that can serve them
// (verified against the manifest, written in place), a resumable state file,
// and fsync + atomic rename only once every part is verified.
import { setMaxListeners } from 'node:events';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { IomeshError, NoSourceError, NoSpaceError, TransferAbortedError } from './errors.js';
import { isNoSpace, type PartFile, type TransferFs } from './fsio.js';
import { hashPart, type Manifest, partRange } from './hashing.js';
import { PartScheduler, type Pick } from './plan.js';
import type { Have } from './wire.js';
import { partialFiles } from './work-dir.js';

export type TransferState = 'queued' | 'running' | 'done' | 'failed';

export interface TransferProgress {
  name: string;
  hash: string;
  state: TransferState;
  size: number;
  bytes: number;
  parts: number;
  totalParts: number;
  /** bytes per second since the transfer started moving data */
  rate: number;
  /** nodes currently able to serve parts */
  sources: string[];
  /** parts received per serving node */
  servedBy: Record<string, number>;
  error?: string;
}

export interface TransferDeps {
  fs: TransferFs;
  /** fetch and verify part `index` of `hash` from `host` */
  fetchPart(host: string, m: Manifest, index: number, signal: AbortSignal): Promise<Buffer>;
  /** a fetched part's buffer is written: it may be reused */
  release?(data: Buffer): void;
  /**
   * fetch part `index` of `hash` from `host` straight into `file` at its
   * offset, verified (resolves with its length once written); preferred to
   * fetchPart when given
   */
  fetchPartTo?(
    host: string,
    m: Manifest,
    index: number,
    signal: AbortSignal,
    file: PartFile,
    /** the part is verified and being written: the source may take another request */
    arrived?: () => void,
  ): Promise<number>;
  /** ask the mesh who holds parts of `hash` now */
  whoHas(hash: string, signal: AbortSignal): Promise<{ host: string; have: Have }[]>;
  /** wait for a free transfer slot; returns its release */
  slot(signal: AbortSignal): Promise<() => void>;
  onProgress(p: TransferProgress): void;
  log(msg: string): void;
  /** part requests in flight per transfer */
  parallel: number;
  /** how often to look for new sources (nodes receiving the same content), ms */
  refreshMs: number;
  /** how long to keep looking for a source of an orphaned part, ms */
  orphanGraceMs: number;
}

export interface TransferSpec {
  /** path relative to the files directory */
  name: string;
  dest: string;
  workDir: string;
  manifest: Manifest;
  mode: number;
  mtimeMs: number;
  /**
   * stem of the temporary and state files in workDir (default: the content
   * hash, so a retry of the same content resumes); a second file of the
   * same content pulled at the same time needs its own
   */
  key?: string;
  /** initial sources: host -> complete copy or the parts it has */
  sources: Map<string, { complete: boolean; have?: number[] }>;
}

/** the state file of a running transfer is rewritten at most this often, ms */
const STATE_EVERY_MS = 500;

/** extra looks for sources early in a transfer, ms after it starts moving */
const EARLY_REFRESH_MS = [250, 600];

const isGone = (e: unknown): boolean =>
  [
    'ERR_MESH_UNKNOWN_HOST',
    'ERR_MESH_UNREACHABLE',
    'ERR_MESH_HOST_DOWN',
    'ERR_MESH_NO_HANDLER',
    'ERR_MESH_CLOSED',
  ].includes((e as { code?: string } | null)?.code ?? '');

export class Transfer {
  state: TransferState = 'queued';
  error: IomeshError | undefined;
  readonly tmp: string;
  /** stem of this transfer's files in the work directory */
  readonly key: string;
  readonly #statePath: string;
  readonly sched: PartScheduler;
  readonly done: Promise<void>;
  readonly #ac = new AbortController();
  #file: PartFile | undefined;
  #started = 0;
  #bytes = 0;
  #wake: (() => void) | undefined;
  #poked = false;
  #stateWrite: Promise<void> = Promise.resolve();
  /** part requests whose bytes have not all arrived */
  #net = 0;
  /** verified parts not yet in the state file */
  #stateDirty = false;
  #stateTimer: NodeJS.Timeout | undefined;
  #lastSave = 0;

  constructor(
    readonly spec: TransferSpec,
    readonly deps: TransferDeps,
    signal?: AbortSignal,
  ) {
    this.key = spec.key ?? spec.manifest.hash;
    [this.tmp, this.#statePath] = partialFiles(spec.workDir, this.key);
    this.sched = new PartScheduler(spec.manifest.parts.length);
    for (const [host, s] of spec.sources) this.sched.update(host, s);
    // every part request and source lookup listens on it
    setMaxListeners(0, this.#ac.signal);
    signal?.addEventListener('abort', () => this.abort(), { once: true });
    this.done = this.#run();
    this.done.catch(() => {});
  }

  get name(): string {
    return this.spec.name;
  }

  get hash(): string {
    return this.spec.manifest.hash;
  }

  abort(): void {
    this.#ac.abort();
    this.#poke();
  }

  /** the verified parts (served to other receivers) */
  partsDone(): number[] {
    return [...this.sched.done];
  }

  /** the length of part `index` of this content */
  partLength(index: number): number {
    const [s, e] = partRange(this.spec.manifest.size, this.spec.manifest.partSize, index);
    return e - s;
  }

  /**
   * read a verified part from the temporary file (for a peer) into `pieces`
   * (back to back, as long as the part together); the bytes read, or
   * undefined when the part is not here
   */
  async readPartInto(index: number, pieces: readonly Buffer[]): Promise<number | undefined> {
    const file = this.#file;
    if (!this.sched.done.has(index) || !file) return undefined;
    const [s] = partRange(this.spec.manifest.size, this.spec.manifest.partSize, index);
    if (file.readv) return file.readv(pieces, s);
    let got = 0;
    for (const p of pieces) {
      const r = await file.read(p.length, s + got, p);
      got += r.length;
      if (r.length < p.length) break;
    }
    return got;
  }

  progress(): TransferProgress {
    const m = this.spec.manifest;
    const secs = this.#started ? (Date.now() - this.#started) / 1000 : 0;
    const bytes = [...this.sched.done].reduce((n, i) => {
      const [s, e] = partRange(m.size, m.partSize, i);
      return n + e - s;
    }, 0);
    return {
      name: this.name,
      hash: m.hash,
      state: this.state,
      size: m.size,
      bytes,
      parts: this.sched.done.size,
      totalParts: this.sched.total,
      rate: secs > 0 ? this.#bytes / secs : 0,
      sources: [...this.sched.sources.keys()].sort(),
      servedBy: Object.fromEntries(this.sched.servedBy),
      ...(this.error ? { error: this.error.message } : {}),
    };
  }

  #poke(): void {
    const w = this.#wake;
    this.#wake = undefined;
    // a poke while the loop is busy is kept, so its next sleep returns at once
    if (w) w();
    else this.#poked = true;
  }

  #sleep(ms: number): Promise<void> {
    if (this.#poked) {
      this.#poked = false;
      return Promise.resolve();
    }
    return new Promise((r) => {
      const t = setTimeout(() => {
        this.#wake = undefined;
        r();
      }, ms);
      this.#wake = () => {
        clearTimeout(t);
        r();
      };
    });
  }

  async #run(): Promise<void> {
    const { fs } = this.deps;
    const m = this.spec.manifest;
    // an empty file has nothing to pull: it never waits behind other transfers
    const release =
      m.size === 0 ? () => {} : await this.deps.slot(this.#ac.signal).catch(() => undefined);
    if (!release) {
      this.#fail(new TransferAbortedError(this.name));
      throw this.error;
    }
    let keepTmp = true;
    try {
      this.state = 'running';
      await fs.mkdir(this.spec.workDir, 0o755);
      await this.#resume();
      // space: everything not yet on disk (a resumed temp file is already allocated)
      const have = await stat(this.tmp).then(
        (s) => s.blocks * 512,
        () => 0,
      );
      const needed = Math.max(0, m.size - have);
      const free = await fs.freeBytes(this.spec.workDir);
      if (needed > free) throw new NoSpaceError(this.name, m.size, free);
      try {
        await fs.allocate(this.tmp, m.size);
      } catch (e) {
        if (isNoSpace(e)) {
          keepTmp = false;
          throw new NoSpaceError(this.name, m.size, await fs.freeBytes(this.spec.workDir));
        }
        throw e;
      }
      this.#file = await fs.open(this.tmp);
      this.#started = Date.now();
      this.deps.onProgress(this.progress());
      await this.#pull();
      await this.#file.sync();
      await this.#file.close();
      this.#file = undefined;
      await fs.chmod(this.tmp, this.spec.mode);
      await fs.utimes(this.tmp, this.spec.mtimeMs);
      await fs.mkdir(dirname(this.spec.dest), 0o755);
      await fs.rename(this.tmp, this.spec.dest);
      keepTmp = false;
      this.#cancelState();
      await this.#stateWrite;
      await fs.rm(this.#statePath);
      this.state = 'done';
      const secs = (Date.now() - this.#started) / 1000;
      const from = [...this.sched.servedBy].map(([h, n]) => `${h}=${n}`).join(',');
      this.deps.log(
        `got ${this.name}: ${m.size} bytes in ${secs.toFixed(2)} s, parts from ${from || 'none'}`,
      );
      this.deps.onProgress(this.progress());
    } catch (e) {
      if (isNoSpace(e)) {
        keepTmp = false;
        this.#fail(new NoSpaceError(this.name, m.size, 0, true));
      } else if (this.#ac.signal.aborted) {
        this.#fail(new TransferAbortedError(this.name));
      } else if (e instanceof IomeshError) {
        if (e instanceof NoSpaceError) keepTmp = false;
        this.#fail(e);
      } else {
        this.#fail(
          Object.assign(new TransferAbortedError(this.name), {
            message: `get ${this.name}: ${(e as Error).message}`,
          }),
        );
      }
      await this.#file?.close().catch(() => {});
      this.#file = undefined;
      // what is verified on disk, for a resume (or nothing, when the file goes)
      if (keepTmp) await this.#writeState();
      else this.#cancelState();
      if (!keepTmp) {
        await fs.rm(this.tmp).catch(() => {});
        await this.#stateWrite;
        await fs.rm(this.#statePath).catch(() => {});
      }
      throw this.error;
    } finally {
      release();
    }
  }

  #fail(e: IomeshError): void {
    this.state = 'failed';
    this.error = e;
    this.deps.log(e.message);
    this.deps.onProgress(this.progress());
  }

  /** parts verified by an interrupted earlier run of this content */
  async #resume(): Promise<void> {
    let claimed: number[];
    try {
      const s = JSON.parse(await readFile(this.#statePath, 'utf8')) as {
        hash?: string;
        done?: unknown;
      };
      if (s.hash !== this.hash || !Array.isArray(s.done)) return;
      claimed = s.done.filter((i): i is number => Number.isInteger(i));
    } catch {
      return;
    }
    const m = this.spec.manifest;
    let f: PartFile;
    try {
      f = await this.deps.fs.open(this.tmp);
    } catch {
      return;
    }
    try {
      for (const i of claimed) {
        if (i >= m.parts.length) continue;
        const [s, e] = partRange(m.size, m.partSize, i);
        const data = await f.read(e - s, s);
        if (data.length === e - s && hashPart(data) === m.parts[i]) this.sched.done.add(i);
      }
    } finally {
      await f.close();
    }
    if (this.sched.done.size > 0) {
      this.deps.log(
        `resuming ${this.name}: ${this.sched.done.size}/${m.parts.length} parts on disk`,
      );
    }
  }

  /**
   * Note the verified parts in the state file, at most every STATE_EVERY_MS
   * (a write per part cost three file operations, each a thread-pool round
   * trip); a failed or interrupted transfer writes it at once. Parts verified
   * but not yet noted are fetched again by a resume, never trusted unchecked.
   */
  #saveState(): void {
    this.#stateDirty = true;
    if (this.#stateTimer) return;
    const wait = Math.max(0, this.#lastSave + STATE_EVERY_MS - Date.now());
    this.#stateTimer = setTimeout(() => void this.#writeState(), wait);
    this.#stateTimer.unref();
  }

  #cancelState(): void {
    clearTimeout(this.#stateTimer);
    this.#stateTimer = undefined;
    this.#stateDirty = false;
  }

  #writeState(): Promise<void> {
    clearTimeout(this.#stateTimer);
    this.#stateTimer = undefined;
    if (!this.#stateDirty) return this.#stateWrite;
    this.#stateDirty = false;
    this.#lastSave = Date.now();
    const body = JSON.stringify({ name: this.name, hash: this.hash, done: this.partsDone() });
    this.#stateWrite = this.#stateWrite
      .then(() => writeFile(this.#statePath, body))
      .catch(() => {});
    return this.#stateWrite;
  }

  async #pull(): Promise<void> {
    const signal = this.#ac.signal;
    let lastRefresh = 0;
    let orphanSince = 0;
    let failure: unknown;
    const refresh = async () => {
      lastRefresh = Date.now();
      try {
        for (const { host, have } of await this.deps.whoHas(this.hash, signal)) {
          this.sched.update(host, { complete: have.complete, have: have.done, load: have.load });
        }
      } catch (e) {
        this.deps.log(`looking for sources of ${this.name}: ${(e as Error).message}`);
      }
      this.#poke();
    };
    const refresher = setInterval(() => {
      if (this.sched.remaining > 0) void refresh();
    }, this.deps.refreshMs);
    // receivers started together hold parts within a fraction of a second:
    // look for them early, not only after the first refreshMs
    const early = EARLY_REFRESH_MS.filter((ms) => ms < this.deps.refreshMs).map((ms) =>
      setTimeout(() => {
        if (this.sched.remaining > 0) void refresh();
      }, ms),
    );
    const running = new Set<Promise<void>>();
    try {
      while (this.sched.remaining > 0) {
        if (signal.aborted) throw new TransferAbortedError(this.name);
        if (failure) throw failure;
        // requests on the wire are bounded by `parallel`; with the parts being
        // written (their streams already back at work), one more: a part's
        // stream buffers are held until its write is done, and a slow disk
        // must not make them pile up (each buffer the pool has to add costs
        // its pages' first touch, the dearest thing per MiB here)
        while (this.#net < this.deps.parallel && running.size < this.deps.parallel + 1) {
          const pick = this.sched.next();
          if (!pick) break;
          orphanSince = 0;
          const job = this.#fetch(pick, signal)
            .catch((e) => {
              if (isNoSpace(e)) failure = e;
            })
            .finally(() => {
              running.delete(job);
              this.#poke();
            });
          running.add(job);
        }
        if (this.sched.remaining === 0) break;
        if (running.size === 0 && this.sched.orphans().length > 0) {
          // nobody we know can serve what is left: look again, then give up
          orphanSince ||= Date.now();
          if (Date.now() - orphanSince > this.deps.orphanGraceMs) {
            const orphans = this.sched.orphans();
            throw new NoSourceError(
              this.name,
              orphans.length,
              `every node holding them left or failed (parts ${orphans.slice(0, 5).join(',')}${orphans.length > 5 ? ',...' : ''})`,
            );
          }
          if (Date.now() - lastRefresh > 200) await refresh();
        }
        await this.#sleep(running.size > 0 ? 1000 : 200);
      }
      await Promise.all(running);
      if (failure) throw failure;
    } finally {
      clearInterval(refresher);
      for (const t of early) clearTimeout(t);
      this.#ac.signal.aborted && (await Promise.allSettled(running));
    }
  }

  async #fetch(pick: Pick, signal: AbortSignal): Promise<void> {
    const m = this.spec.manifest;
    const file = this.#file as PartFile;
    let bytes: number;
    this.#net++;
    let onWire = true;
    const arrived = () => {
      if (!onWire) return;
      onWire = false;
      this.#net--;
      this.sched.arrived(pick);
      this.#poke();
    };
    try {
      if (this.deps.fetchPartTo) {
        bytes = await this.deps.fetchPartTo(pick.host, m, pick.index, signal, file, arrived);
      } else {
        bytes = await this.#fetchAndWrite(pick, signal, file);
      }
    } catch (e) {
      if (isNoSpace(e)) {
        this.sched.failed(pick);
        throw e;
      }
      this.deps.log(
        `part ${pick.index} of ${this.name} from ${pick.host}: ${(e as Error).message}`,
      );
      this.sched.failed(pick, isGone(e));
      return;
    } finally {
      if (onWire) {
        onWire = false;
        this.#net--;
      }
    }
    this.sched.succeeded(pick);
    this.#bytes += bytes;
    this.#saveState();
    this.deps.onProgress(this.progress());
  }

  /** fetchPart, then the write */
  async #fetchAndWrite(
    pick: { index: number; host: string },
    signal: AbortSignal,
    file: PartFile,
  ): Promise<number> {
    const m = this.spec.manifest;
    const data = await this.deps.fetchPart(pick.host, m, pick.index, signal);
    const [s] = partRange(m.size, m.partSize, pick.index);
    try {
      await file.write(data, s);
    } finally {
      this.deps.release?.(data);
    }
    return data.length;
  }
}
