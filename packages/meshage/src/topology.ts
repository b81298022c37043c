// Link-state topology: every node floods an LSA (its sorted direct peers)
// whenever its peer set changes; each node keeps the newest LSA per origin
// and computes shortest paths (BFS, hop count, neighbours visited in sorted
// order so routes are deterministic). An edge between two other nodes counts
// only when both ends list each other; edges of this node are its live links.
import type { LsaEntry } from './wire.js';

interface Stored {
  entry: LsaEntry;
  peers: Set<string>;
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

  /** store `e` if it is newer than what is known; returns whether it was */
  accept(e: LsaEntry): boolean {
    const cur = this.#stored.get(e.o);
    if (!newer(e, cur?.entry)) return false;
    this.#stored.set(e.o, { entry: e, peers: new Set(e.p) });
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

  lists(origin: string, peer: string): boolean {
    return this.#stored.get(origin)?.peers.has(peer) ?? false;
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
      }
    }
  }
}

export interface Routes {
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
  const neighbours = (n: string): string[] => {
    if (n === self) return [...directPeers].sort();
    const e = db.get(n);
    const out: string[] = [];
    if (directPeers.has(n)) out.push(self);
    if (e) {
      for (const m of e.p) {
        if (m !== self && db.lists(m, n)) out.push(m);
      }
    }
    return out.sort();
  };

  const nextHop = new Map<string, string>();
  const distance = new Map<string, number>([[self, 0]]);
  const adjacency = new Map<string, string[]>();
  const queue: string[] = [self];
  for (let i = 0; i < queue.length; i++) {
    const n = queue[i] as string;
    const ns = neighbours(n);
    adjacency.set(n, ns);
    const d = distance.get(n) ?? 0;
    for (const m of ns) {
      if (distance.has(m)) continue;
      distance.set(m, d + 1);
      nextHop.set(m, n === self ? m : (nextHop.get(n) as string));
      queue.push(m);
    }
  }
  // drop edges to nodes outside the reachable set (cannot happen with the pair rule, kept for safety)
  for (const [n, ns] of adjacency)
    adjacency.set(
      n,
      ns.filter((m) => distance.has(m)),
    );
  return { nodes: [...distance.keys()].sort(), nextHop, distance, adjacency };
}
