// Pure decisions of a transfer: which version of a file to trust, and which
// part to fetch next from which node (rarest part first, least-loaded holder).

export interface Candidate {
  host: string;
  mtimeMs: number;
  hash: string;
}

/**
 * The version to hold (spec §5, improved): the head node's when it has the
 * file; else the newest by mtime; ties go to the hash most nodes hold, then
 * the smallest hash (deterministic, so every node picks the same version).
 */
export function chooseVersion<C extends Candidate>(cands: readonly C[], head = ''): C | undefined {
  if (cands.length === 0) return undefined;
  const fromHead = head ? cands.find((c) => c.host === head) : undefined;
  if (fromHead) return fromHead;
  const count = new Map<string, number>();
  for (const c of cands) count.set(c.hash, (count.get(c.hash) ?? 0) + 1);
  return [...cands].sort(
    (a, b) =>
      b.mtimeMs - a.mtimeMs ||
      (count.get(b.hash) ?? 0) - (count.get(a.hash) ?? 0) ||
      (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0) ||
      (a.host < b.host ? -1 : 1),
  )[0];
}

export interface SourceState {
  /** every part (a complete copy) */
  complete: boolean;
  /** parts it has verified (when not complete) */
  have: Set<number>;
  /** uploads it reported serving */
  load: number;
  /** our requests to it in flight */
  inflight: number;
  /** consecutive failures; a source is dropped after `maxFailures` */
  failures: number;
  /** parts it failed to give us (not asked again from it) */
  failed: Set<number>;
}

export interface Pick {
  index: number;
  host: string;
  /** its bytes are here (being written): the source is free for another request */
  arrived?: boolean;
}

export interface SchedulerOptions {
  /** requests in flight to one source at once */
  perSource?: number;
  maxFailures?: number;
  random?: () => number;
}

/** Tracks parts and sources of one transfer and picks the next request. */
export class PartScheduler {
  readonly done = new Set<number>();
  readonly inflight = new Set<number>();
  readonly sources = new Map<string, SourceState>();
  /** parts served per source (for the "share from non-origin nodes" figure) */
  readonly servedBy = new Map<string, number>();
  /** parts each dropped source failed to give: not asked of it again when it comes back */
  readonly #dropped = new Map<string, Set<number>>();
  readonly #perSource: number;
  readonly #maxFailures: number;
  readonly #random: () => number;

  constructor(
    readonly total: number,
    opts: SchedulerOptions = {},
  ) {
    this.#perSource = opts.perSource ?? 2;
    this.#maxFailures = opts.maxFailures ?? 3;
    this.#random = opts.random ?? Math.random;
  }

  /** add or refresh a source's holdings */
  update(host: string, s: { complete: boolean; have?: Iterable<number>; load?: number }): void {
    const cur = this.sources.get(host);
    if (cur) {
      cur.complete = s.complete;
      cur.have = new Set(s.have ?? []);
      cur.load = s.load ?? cur.load;
      return;
    }
    this.sources.set(host, {
      complete: s.complete,
      have: new Set(s.have ?? []),
      load: s.load ?? 0,
      inflight: 0,
      failures: 0,
      failed: this.#dropped.get(host) ?? new Set(),
    });
  }

  remove(host: string): void {
    this.sources.delete(host);
  }

  #holds(s: SourceState, i: number): boolean {
    return !s.failed.has(i) && (s.complete || s.have.has(i));
  }

  get remaining(): number {
    return this.total - this.done.size;
  }

  /** parts neither done nor in flight that no current source can serve */
  orphans(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.total; i++) {
      if (this.done.has(i) || this.inflight.has(i)) continue;
      if (![...this.sources.values()].some((s) => this.#holds(s, i))) out.push(i);
    }
    return out;
  }

  /** the rarest available part and its least-busy holder, or undefined when nothing can start now */
  next(): Pick | undefined {
    let best: { index: number; rarity: number; tie: number } | undefined;
    for (let i = 0; i < this.total; i++) {
      if (this.done.has(i) || this.inflight.has(i)) continue;
      let rarity = 0;
      let free = false;
      for (const s of this.sources.values()) {
        if (!this.#holds(s, i)) continue;
        rarity++;
        if (s.inflight < this.#perSource) free = true;
      }
      if (!free) continue;
      const tie = this.#random();
      if (!best || rarity < best.rarity || (rarity === best.rarity && tie < best.tie)) {
        best = { index: i, rarity, tie };
      }
    }
    if (!best) return undefined;
    let host: string | undefined;
    let score = Number.POSITIVE_INFINITY;
    for (const [h, s] of this.sources) {
      if (!this.#holds(s, best.index) || s.inflight >= this.#perSource) continue;
      // busy sources and complete copies (the origin) rank lower, so parts spread over peers
      const sc = s.inflight * 2 + s.load + (s.complete ? 0.5 : 0) + this.#random() * 0.5;
      if (sc < score) {
        score = sc;
        host = h;
      }
    }
    if (host === undefined) return undefined;
    this.inflight.add(best.index);
    (this.sources.get(host) as SourceState).inflight++;
    return { index: best.index, host };
  }

  /** the part's bytes arrived (it is being written): its source may take another request */
  arrived(p: Pick): void {
    if (p.arrived) return;
    p.arrived = true;
    const s = this.sources.get(p.host);
    if (s) s.inflight--;
  }

  succeeded(p: Pick): void {
    this.inflight.delete(p.index);
    this.done.add(p.index);
    this.servedBy.set(p.host, (this.servedBy.get(p.host) ?? 0) + 1);
    const s = this.sources.get(p.host);
    if (s) {
      if (!p.arrived) s.inflight--;
      s.failures = 0;
    }
  }

  /** a failed request; `gone` drops the source at once (it left the mesh) */
  failed(p: Pick, gone = false): void {
    this.inflight.delete(p.index);
    const s = this.sources.get(p.host);
    if (!s) return;
    if (!p.arrived) s.inflight--;
    s.failed.add(p.index);
    s.failures++;
    if (gone || s.failures >= this.#maxFailures) {
      this.sources.delete(p.host);
      // a later `have` lists it again: what it failed to give stays failed
      // (a node serving corrupt parts must not be asked for them forever)
      if (!gone) this.#dropped.set(p.host, s.failed);
    }
  }
}
