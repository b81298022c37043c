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

// Name ↔ integer table shared by every database in the process (indices
// never leave the process), so an announcement object seen by many in-process
// nodes is converted to indices once.
const index = new Map<string, number>();
const names: string[] = [];
const peerIndices = new WeakMap<LsaEntry, Int32Array>();

function intern(name: string): number {
  let i = index.get(name);
  if (i === undefined) {
    i = names.length;
    index.set(name, i);
    names.push(name);
  }
  return i;
}

function indicesOf(e: LsaEntry): Int32Array {
  let a = peerIndices.get(e);
  if (!a) {
    a = Int32Array.from(e.p, intern);
    peerIndices.set(e, a);
  }
  return a;
}

export class LinkStateDb {
  readonly #stored = new Map<string, Stored>();
  readonly #byIndex: (Stored | undefined)[] = [];

  /** the integer for `name` (assigned on first use) */
  intern(name: string): number {
    return intern(name);
  }

  nameOf(i: number): string {
    return names[i] as string;
  }

  /** the integer for `name` if it was ever seen */
  lookup(name: string): number | undefined {
    return index.get(name);
  }

  get capacity(): number {
    return names.length;
  }

  /** store `e` if it is newer than what is known; returns whether it was */
  accept(e: LsaEntry): boolean {
    const cur = this.#stored.get(e.o);
    if (!newer(e, cur?.entry)) return false;
    this.#store(isSorted(e.p) ? e : sortedEntry(e));
    return true;
  }

  #store(e: LsaEntry): void {
    const s: Stored = { entry: e, peers: indicesOf(e) };
    this.#stored.set(e.o, s);
    this.#byIndex[intern(e.o)] = s;
  }

  /**
   * `origin` is alive as incarnation `inc`: an announcement of an older
   * incarnation is dropped for an empty one of `inc` (sequence 0, so the
   * new life's first real announcement replaces it), so the links of its
   * previous life stop counting. Returns whether anything changed.
   */
  supersede(origin: string, inc: number): boolean {
    const cur = this.#stored.get(origin)?.entry;
    if (!cur || cur.i >= inc) return false;
    this.#store({ o: origin, i: inc, s: 0, p: [] });
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
    const i = index.get(origin);
    const j = index.get(peer);
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
        const i = index.get(origin);
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
  /** the hops from this node to `dest`, both included (undefined when unreachable) */
  path(dest: string): string[] | undefined;
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
  const parent = new Int32Array(n).fill(-1);
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
  for (const v of direct) {
    dist[v] = 1;
    first[v] = v;
    parent[v] = me;
    queue[tail++] = v;
  }
  head = 1;
  while (head < tail) {
    const u = queue[head++] as number;
    const du = (dist[u] as number) + 1;
    const fu = first[u] as number;
    const ps = db.peersOf(u);
    for (let k = 0; k < ps.length; k++) {
      const v = ps[k] as number;
      if ((dist[v] as number) >= 0 || !db.listsIdx(v, u)) continue;
      dist[v] = du;
      first[v] = fu;
      parent[v] = u;
      queue[tail++] = v;
    }
  }
  const reached = queue.subarray(0, tail);
  let nodes: string[] | undefined;
  let nextHop: Map<string, string> | undefined;
  let distance: Map<string, number> | undefined;
  let adjacency: Map<string, string[]> | undefined;
  return {
    size: tail,
    path(dest) {
      const d = db.lookup(dest);
      if (d === undefined || (dist[d] ?? -1) < 0) return undefined;
      const out: string[] = [];
      for (let v = d; v !== -1; v = v === me ? -1 : (parent[v] as number)) out.push(db.nameOf(v));
      return out.reverse();
    },
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

/** `e` with its peers sorted by name (their incarnations kept beside them) */
function sortedEntry(e: LsaEntry): LsaEntry {
  const order = e.p
    .map((_, k) => k)
    .sort((a, b) => ((e.p[a] as string) < (e.p[b] as string) ? -1 : 1));
  const p = order.map((k) => e.p[k] as string);
  const pi = e.pi && e.pi.length === e.p.length ? order.map((k) => e.pi?.[k] as number) : undefined;
  return { o: e.o, i: e.i, s: e.s, p, ...(pi ? { pi } : {}) };
}

function isSorted(xs: readonly string[]): boolean {
  for (let i = 1; i < xs.length; i++) if ((xs[i - 1] as string) > (xs[i] as string)) return false;
  return true;
}
