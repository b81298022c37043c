// Parts this node received a moment ago, kept in memory (the stream frames
// they arrived in) to serve other receivers without reading them back from
// disk. Receivers of one file ask each other for the parts they just got
// (rarest first), so most requests to a receiver are for recent parts; read
// back, each would be a disk read (parts are written with O_DIRECT, so the
// page cache does not hold them) and a part-sized buffer. Bounded by bytes
// and age; a part being served is never given back to its pool until that
// send is done.

export interface RecentPart {
  /** the part's bytes, in order (views the entry owns; valid until done()) */
  pieces: readonly Buffer[];
  /** this borrower is done with the pieces */
  done(): void;
}

interface Entry {
  pieces: Buffer[];
  bytes: number;
  at: number;
  users: number;
  gone: boolean;
  free: () => void;
}

export class RecentParts {
  readonly #parts = new Map<string, Entry>();
  #bytes = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    /** bytes held at most */
    readonly maxBytes = 32 * 1024 * 1024,
    /** a part older than this is let go, ms */
    readonly maxAgeMs = 3000,
  ) {}

  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Keep part `index` of `hash` (its verified bytes in `pieces`); `free`
   * gives the pieces back once nobody uses them. Returns false (and keeps
   * nothing) when the part cannot be held: the caller frees the pieces.
   */
  put(hash: string, index: number, pieces: Buffer[], free: () => void): boolean {
    const bytes = pieces.reduce((n, p) => n + p.length, 0);
    const key = `${hash}:${index}`;
    if (bytes > this.maxBytes || this.#parts.has(key)) return false;
    this.#evict(this.maxBytes - bytes);
    this.#parts.set(key, { pieces, bytes, at: Date.now(), users: 0, gone: false, free });
    this.#bytes += bytes;
    this.#timer ??= this.#arm();
    return true;
  }

  /** part `index` of `hash` if held, borrowed until done() */
  borrow(hash: string, index: number): RecentPart | undefined {
    const e = this.#parts.get(`${hash}:${index}`);
    if (!e) return undefined;
    e.users++;
    let returned = false;
    return {
      pieces: e.pieces,
      done: () => {
        if (returned) return;
        returned = true;
        e.users--;
        if (e.gone && e.users === 0) e.free();
      },
    };
  }

  /** let go of the oldest parts until at most `keep` bytes are held */
  #evict(keep: number, olderThan = Number.NEGATIVE_INFINITY): void {
    // a Map iterates in insertion order: oldest first
    for (const [key, e] of this.#parts) {
      if (this.#bytes <= keep && e.at >= olderThan) break;
      this.#parts.delete(key);
      this.#bytes -= e.bytes;
      e.gone = true;
      if (e.users === 0) e.free();
    }
  }

  #arm(): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.#timer = undefined;
      this.#evict(this.maxBytes, Date.now() - this.maxAgeMs);
      if (this.#parts.size > 0) this.#timer = this.#arm();
    }, this.maxAgeMs / 2);
    t.unref();
    return t;
  }

  /** let go of everything (pieces in use are freed when their borrowers are done) */
  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#evict(-1);
  }
}
