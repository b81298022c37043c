// Link-state topology: every node floods an LSA (its sorted direct peers)
// whenever its peer set changes; each node keeps the newest LSA per origin
// and computes shortest paths (BFS, hop count, neighbours visited in name
// order so routes are deterministic). An edge between two other nodes counts
// only when both ends list each other; edges of this node are its live links.
// Names are interned to integers so a route computation over 1,000 nodes is
// a tight loop over typed arrays.
import type { LsaEntry } from './wire.js';

interface Stored {
  entry: LsaEntry;
  /** entry.p as interned indices, same (name) order */
  peers: Int32Array;
  /** when the origin was first found unreachable (for garbage collection) */
  unreachableSince?: number;
}

/** true when `a` is a newer announcement than `b` */
export function newer(a: LsaEntry, b: LsaEntry | undefined): boolean {
  if (!b) return true;
  if (a.i !== b.i) return a.i > b.i;
  return a.s > b.s;
}

export class LinkStateDb {
  readonly #stored = new Map<string, Stored>();
  readonly #byIndex: (Stored | undefined)[] = [];
  readonly #index = new Map<string, number>();
  readonly #names: string[] = [];

  /** the integer for `name` (assigned on first use) */
  intern(name: string): number {
    let i = this.#index.get(name);
    if (i === undefined) {
      i = this.#names.length;
      this.#index.set(name, i);
      this.#names.push(name);
    }
    return i;
  }

  nameOf(i: number): string {
    return this.#names[i] as string;
  }

  get capacity(): number {
    return this.#names.length;
  }

  /** store `e` if it is newer than what is known; returns whether it was */
  accept(e: LsaEntry): boolean {
    const cur = this.#stored.get(e.o);
    if (!newer(e, cur?.entry)) return false;
    const sorted = isSorted(e.p) ? e : { ...e, p: [...e.p].sort() };
    const s: Stored = { entry: sorted, peers: Int32Array.from(sorted.p, (p) => this.intern(p)) };
    this.#stored.set(e.o, s);
    this.#byIndex[this.intern(e.o)] = s;
    return true;
  }

  get(origin: string): LsaEntry | undefined {
    return this.#stored.get(origin)?.entry;
  }

  entries(): LsaEntry[] {
    return [...this.#stored.values()].map((s) => s.entry);
  }

  get size(): number {
    return this.#stored.size;
  }

  /** the announced peers of node `i` (indices), empty when unknown */
  peersOf(i: number): Int32Array {
    return this.#byIndex[i]?.peers ?? EMPTY;
  }

  /** does node `i` announce node `j`? */
  listsIdx(i: number, j: number): boolean {
    const ps = this.#byIndex[i]?.peers;
    if (!ps) return false;
    for (let k = 0; k < ps.length; k++) if (ps[k] === j) return true;
    return false;
  }

  lists(origin: string, peer: string): boolean {
    const i = this.#index.get(origin);
    const j = this.#index.get(peer);
    return i !== undefined && j !== undefined && this.listsIdx(i, j);
  }

  /**
   * Mark unreachable origins and forget those unreachable for longer than
   * `graceMs` (an LSA can arrive before the LSA that makes it reachable, so
   * entries are not dropped at once).
   */
  collect(reachable: ReadonlySet<string>, now: number, graceMs: number): void {
    for (const [origin, s] of this.#stored) {
      if (reachable.has(origin)) {
        s.unreachableSince = undefined;
      } else if (s.unreachableSince === undefined) {
        s.unreachableSince = now;
      } else if (now - s.unreachableSince > graceMs) {
        this.#stored.delete(origin);
        const i = this.#index.get(origin);
        if (i !== undefined) this.#byIndex[i] = undefined;
      }
    }
  }
}

const EMPTY = new Int32Array(0);

export interface Routes {
  /** number of reachable nodes, self included */
  readonly size: number;
  /** every reachable node, self included, sorted */
  readonly nodes: string[];
  /** destination → first hop (a direct peer) */
  readonly nextHop: ReadonlyMap<string, string>;
  /** destination → hop count */
  readonly distance: ReadonlyMap<string, number>;
  /** effective adjacency of the reachable mesh (symmetric, sorted lists) */
  readonly adjacency: ReadonlyMap<string, string[]>;
}

export function computeRoutes(
  self: string,
  directPeers: ReadonlySet<string>,
  db: LinkStateDb,
): Routes {
  const me = db.intern(self);
  const direct = [...directPeers].sort().map((p) => db.intern(p));
  const isDirect = new Uint8Array(db.capacity);
  for (const d of direct) isDirect[d] = 1;
  const n = db.capacity;
  const dist = new Int32Array(n).fill(-1);
  const first = new Int32Array(n).fill(-1);
  const queue = new Int32Array(n);
  let head = 0;
  let tail = 0;
  dist[me] = 0;
  queue[tail++] = me;
  const neighbours = (u: number, visit: (v: number) => void) => {
    if (u === me) {
      for (const v of direct) visit(v);
      return;
    }
    const ps = db.peersOf(u);
    for (let k = 0; k < ps.length; k++) {
      const v = ps[k] as number;
      if (v !== me && db.listsIdx(v, u)) visit(v);
    }
    if (isDirect[u]) visit(me);
  };
  while (head < tail) {
    const u = queue[head++] as number;
    const du = dist[u] as number;
    neighbours(u, (v) => {
      if ((dist[v] as number) >= 0) return;
      dist[v] = du + 1;
      first[v] = u === me ? v : (first[u] as number);
      queue[tail++] = v;
    });
  }
  const reached = queue.subarray(0, tail);
  let nodes: string[] | undefined;
  let nextHop: Map<string, string> | undefined;
  let distance: Map<string, number> | undefined;
  let adjacency: Map<string, string[]> | undefined;
  return {
    size: tail,
    get nodes() {
      nodes ??= Array.from(reached, (i) => db.nameOf(i)).sort();
      return nodes;
    },
    get nextHop() {
      if (!nextHop) {
        nextHop = new Map();
        for (const i of reached)
          if (i !== me) nextHop.set(db.nameOf(i), db.nameOf(first[i] as number));
      }
      return nextHop;
    },
    get distance() {
      distance ??= new Map(Array.from(reached, (i) => [db.nameOf(i), dist[i] as number]));
      return distance;
    },
    get adjacency() {
      if (!adjacency) {
        adjacency = new Map();
        for (const u of reached) {
          const ns: string[] = [];
          neighbours(u, (v) => {
            if ((dist[v] as number) >= 0) ns.push(db.nameOf(v));
          });
          adjacency.set(db.nameOf(u), ns.sort());
        }
      }
      return adjacency;
    },
  };
}

function isSorted(xs: readonly string[]): boolean {
  for (let i = 1; i < xs.length; i++) if ((xs[i - 1] as string) > (xs[i] as string)) return false;
  return true;
}
