// Topology by link-state flooding: this node announces its sorted direct
// peers whenever they change (coalesced, rate-limited), forwards others'
// announcements in small batches (never back to whoever has them), and
// computes shortest-path routes from the database on demand. Announcements
// from the wire are bounded (entries per frame, peers per entry, nodes in
// the database, entries per second per peer): a peer past a bound gets an
// error string back, which the composer turns into a disconnect.
import type { Core } from './core.js';
import type { Peer, PeerTable } from './peers.js';
import { computeRoutes, LinkStateDb, type Routes } from './topology.js';
import type { LsaEntry } from './wire.js';

/** an announcement waiting to be forwarded, and who must not get it */
interface FloodSlot {
  e: LsaEntry;
  from: string | undefined;
  /** peers that sent us this very version meanwhile (created on first duplicate) */
  skip?: Set<string>;
}

export interface FloodingHooks {
  /** whether routes should be recomputed eagerly after a change (someone waits on them) */
  eager(): boolean;
  /** fresh routes were computed */
  routed(routes: Routes): void;
}

export interface Flooding {
  readonly db: LinkStateDb;
  /** the direct peer set changed */
  peersChanged(): void;
  /** a direct peer is alive as incarnation `inc` (its older announcements stop counting) */
  learned(peer: string, inc: number): void;
  /** a new link: give it the whole database */
  sendFullDb(peer: string): void;
  /** announcements from a peer; an error string when it broke a bound */
  receive(from: Peer, entries: LsaEntry[]): string | undefined;
  /** routes for the current database (recomputed when stale) */
  routes(): Routes;
  /** the first node of `path` whose link to the next one is gone */
  brokenHop(path: readonly string[]): string | undefined;
  /** forget nodes that stayed unreachable (call now and then) */
  collect(now: number): void;
  close(): void;
}

export function createFlooding(core: Core, peers: PeerTable, hooks: FloodingHooks): Flooding {
  const db = new LinkStateDb();
  let seq = 0;
  let announced: string | undefined;
  let lastOriginate = 0;
  let originateTimer: NodeJS.Timeout | undefined;
  /** pending announcements to forward: the newest per origin, and peers known to have it */
  const flood = new Map<string, FloodSlot>();
  let floodTimer: NodeJS.Timeout | undefined;
  let current: Routes | undefined;
  let dirty = true;
  let recomputeTimer: NodeJS.Timeout | undefined;
  let lastCollect = Date.now();

  function markDirty(): void {
    dirty = true;
    if (recomputeTimer || core.closed() || !hooks.eager()) return;
    recomputeTimer = setTimeout(() => {
      recomputeTimer = undefined;
      routes();
    }, 10);
  }

  function scheduleOriginate(): void {
    if (originateTimer || core.closed()) return;
    const wait = Math.max(core.o.lsaDelayMs, lastOriginate + core.o.lsaMinIntervalMs - Date.now());
    originateTimer = setTimeout(() => {
      originateTimer = undefined;
      originate();
    }, wait);
  }

  function originate(): void {
    const names = peers.names();
    const pi = names.map((n) => peers.get(n)?.inc ?? 0);
    const sig = `${names.join('\u0000')}\u0001${pi.join(',')}`;
    if (sig === announced) return;
    announced = sig;
    lastOriginate = Date.now();
    const entry: LsaEntry = { o: core.name, i: core.incarnation, s: ++seq, p: names, pi };
    db.accept(entry);
    enqueue(entry, undefined);
  }

  function enqueue(e: LsaEntry, from: string | undefined): void {
    // one pending slot per origin: a newer version replaces an older one in the same batch
    flood.set(e.o, { e, from });
    if (!floodTimer && !core.closed()) floodTimer = setTimeout(flush, core.o.floodDelayMs);
  }

  function flush(): void {
    floodTimer = undefined;
    const batch = [...flood.values()];
    flood.clear();
    for (const name of peers.names()) {
      const e: LsaEntry[] = [];
      for (const b of batch) {
        if (b.e.o !== name && b.from !== name && !b.skip?.has(name)) e.push(b.e);
      }
      if (e.length > 0) peers.sendTo(name, { t: 'lsa', e });
    }
  }

  function routes(): Routes {
    if (current && !dirty) return current;
    dirty = false;
    current = computeRoutes(core.name, new Set(peers.names()), db);
    hooks.routed(current);
    return current;
  }

  return {
    db,
    peersChanged() {
      markDirty();
      scheduleOriginate();
    },
    learned(peer, inc) {
      if (db.supersede(peer, inc)) markDirty();
    },
    sendFullDb(name) {
      peers.sendTo(name, { t: 'lsa', e: db.entries() });
    },
    receive(from, entries) {
      const now = Date.now();
      const rate = core.o.lsaEntriesPerSecond;
      const max = core.o.maxNodes;
      from.lsaBudget = Math.min(2 * max, from.lsaBudget + ((now - from.lsaRefilled) / 1000) * rate);
      from.lsaRefilled = now;
      from.lsaBudget -= entries.length;
      if (from.lsaBudget < 0) return `announcements faster than ${rate} entries/s`;
      if (entries.length > max) return `announcement of ${entries.length} nodes (limit ${max})`;
      let changed = false;
      let refused = 0;
      for (const e of entries) {
        if (e.p.length > core.o.maxPeersPerNode) {
          return `${e.o} announced with ${e.p.length} peers (limit ${core.o.maxPeersPerNode})`;
        }
        if (db.size >= max && db.get(e.o) === undefined) {
          refused++;
          continue;
        }
        if (e.o === core.name) {
          // an announcement of ours from before a restart of the sequence: jump past it
          if (e.i === core.incarnation && e.s > seq) {
            seq = e.s;
            announced = undefined;
            scheduleOriginate();
          }
          continue;
        }
        if (!db.accept(e)) {
          // the sender has this version: do not send it back to them in the pending batch
          const slot = flood.size > 0 ? flood.get(e.o) : undefined;
          if (slot && slot.e.i === e.i && slot.e.s === e.s) {
            slot.skip ??= new Set();
            slot.skip.add(from.name);
          }
          continue;
        }
        changed = true;
        enqueue(e, from.name);
        // the origin's peers as it knows them: older lives of theirs stop counting here
        if (e.pi && e.pi.length === e.p.length) {
          for (let k = 0; k < e.p.length; k++) {
            const peer = e.p[k] as string;
            if (peer !== core.name) db.supersede(peer, e.pi[k] as number);
          }
        }
      }
      if (changed) markDirty();
      if (refused > 0) return `announced ${refused} nodes past this node's limit of ${max}`;
      return undefined;
    },
    routes,
    brokenHop(path) {
      for (let i = 0; i + 1 < path.length; i++) {
        const a = path[i] as string;
        const b = path[i + 1] as string;
        const up =
          a === core.name
            ? peers.has(b)
            : b === core.name
              ? peers.has(a)
              : db.lists(a, b) && db.lists(b, a);
        if (!up) return b;
      }
      return undefined;
    },
    collect(now) {
      if (now - lastCollect <= core.o.gcGraceMs / 4) return;
      // forget nodes that stayed unreachable (bounded memory under churn)
      lastCollect = now;
      db.collect(new Set(routes().nodes), now, core.o.gcGraceMs);
    },
    close() {
      for (const t of [originateTimer, floodTimer, recomputeTimer]) if (t) clearTimeout(t);
    },
  };
}
