// A mesh node: handshake and authentication on every link, discovery,
// link-state topology, shortest-path routing with multi-hop forwarding,
// request/response messaging with one result per host, and failure
// detection by heartbeats. Written against the Transport contract only.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { z } from 'zod';
import { datagramMac, derivePsk, macEqual } from './auth.js';
import type { ChannelLink } from './channel.js';
import { decode, encode } from './codec.js';
import {
  AlreadyConnectedError,
  AuthError,
  BadBodyError,
  DialSelfError,
  HandshakeError,
  HostDownError,
  type HostError,
  hostErrorFromWire,
  InvalidOptionError,
  MeshAbortedError,
  MeshClosedError,
  type MeshError,
  MeshTimeoutError,
  NoHandlerError,
  NoSuchPeerError,
  RouteLostError,
  SelfSendError,
  UnknownHostError,
} from './errors.js';
import { type Admission, initiate, type LocalIdentity, respond } from './handshake.js';
import { defineKind, type MessageKind } from './kinds.js';
import { checkNodeName } from './names.js';
import { createStreams, type StreamContext, type StreamHandler, type Streams } from './streams.js';
import { computeRoutes, LinkStateDb, type Routes } from './topology.js';
import type { Link, Transport } from './transport.js';
import {
  DEFAULT_TTL,
  type LsaEntry,
  type MeshFrame,
  meshFrame,
  type ReqFrame,
  type ResFrame,
  type Solicitation,
  type SolicitationBody,
  solicitation,
  solicitationBody,
} from './wire.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface MeshOptions {
  /** this node's name (minimega: the hostname); unique on the mesh */
  name: string;
  transport: Transport;
  /** discovery namespace (`-context`, default `minimega`) */
  context?: string;
  /** target number of direct peers; solicit while below (`-degree`, default 0) */
  degree?: number;
  /** mesh key: only nodes holding the same key can link (see auth.ts) */
  key?: Uint8Array;
  /** software version exchanged in the handshake (mismatch only logs) */
  version?: string;
  /** ping interval on idle links, ms (default 500) */
  heartbeatMs?: number;
  /** a link silent this long is declared dead, ms (default 2500) */
  deadAfterMs?: number;
  /** first solicitation back-off window, ms (default 500); doubles up to solicitMaxMs */
  solicitMinMs?: number;
  /** largest solicitation back-off window, ms (default 30 s) */
  solicitMaxMs?: number;
  /** handshake must finish within, ms (default 5 s) */
  handshakeTimeoutMs?: number;
  /** dial timeout, ms (default 10 s) */
  dialTimeoutMs?: number;
  /** delay before announcing a peer change (coalesces bursts), ms (default 10) */
  lsaDelayMs?: number;
  /** minimum gap between two announcements of this node, ms (default 250) */
  lsaMinIntervalMs?: number;
  /** batching window for forwarded announcements, ms (default 5) */
  floodDelayMs?: number;
  /** forget unreachable nodes after, ms (default 60 s) */
  gcGraceMs?: number;
  /** solicited dials allowed in flight at once (default 4) */
  maxSolicitedDials?: number;
  /** how long to keep redialing a peer whose link went silent, ms (default 10 min) */
  redialForMs?: number;
  /** hop limit of a request or reply (default 32); larger values from the wire are cut to it */
  maxTtl?: number;
  /** most nodes this node keeps in its topology (default 5,000); announcements of more are refused */
  maxNodes?: number;
  /** most direct peers one announcement may list (default 1,024) */
  maxPeersPerNode?: number;
  /** most target hosts in one request frame (default 4,096; larger sends are split) */
  maxTargets?: number;
  /** announcement entries a peer may send per second on average (default: maxNodes) */
  lsaEntriesPerSecond?: number;
  /** deadline of a send without its own timeout, ms (default 5 min) */
  sendTimeoutMs?: number;
  log?: (level: LogLevel, message: string) => void;
  random?: () => number;
}

export interface SendOptions {
  signal?: AbortSignal;
  /** total time to wait for all hosts, ms (default: the mesh's sendTimeoutMs; Infinity: none) */
  timeout?: number;
}

export type SendResult<T> =
  | { host: string; ok: true; value: T }
  | { host: string; ok: false; error: HostError };

export interface HandlerContext {
  /** the node that sent the request */
  from: string;
  /** aborted when this node closes */
  signal: AbortSignal;
}

export type Handler<Req, Res> = (body: Req, ctx: HandlerContext) => Res | Promise<Res>;

export interface MeshEvents {
  'peer-up': [name: string];
  'peer-down': [name: string, reason: string];
  /** the reachable node set or an edge changed; carries the sorted node list */
  topology: [nodes: string[]];
}

export interface MeshStats {
  /** frames this node sent, by frame type */
  sent: Record<'hello' | 'ready' | 'ping' | 'lsa' | 'req' | 'res', number>;
  /** discovery datagrams sent */
  datagrams: number;
}

export interface PeerInfo {
  name: string;
  address: string;
  incarnation: number;
}

export interface Mesh extends AsyncDisposable {
  readonly name: string;
  readonly incarnation: number;
  readonly context: string;
  /** where other nodes dial this one (the transport's local address) */
  readonly address: string;
  degree: number;
  /** manual (unsolicited) dial by address; resolves with the peer's name */
  dial(address: string, opts?: { signal?: AbortSignal }): Promise<string>;
  /** close the link to a direct peer (NoSuchPeerError when not one) */
  hangup(name: string): void;
  /** direct peers, sorted */
  peers(): string[];
  peerInfo(): PeerInfo[];
  /** every reachable node including self, sorted */
  nodes(): string[];
  /** how many nodes are reachable, self included (cheap) */
  size(): number;
  /** effective adjacency of the reachable mesh, sorted */
  adjacency(): Map<string, string[]>;
  /** first hop towards `name` (undefined when unreachable or self) */
  route(name: string): string | undefined;
  handle<Req, Res>(kind: MessageKind<Req, Res>, handler: Handler<Req, Res>): () => void;
  /** one result per distinct host, in the order given */
  send<Req, Res>(
    hosts: readonly string[],
    kind: MessageKind<Req, Res>,
    body: Req,
    opts?: SendOptions,
  ): Promise<SendResult<Res>[]>;
  /** send to every reachable node except self */
  broadcast<Req, Res>(
    kind: MessageKind<Req, Res>,
    body: Req,
    opts?: SendOptions,
  ): Promise<SendResult<Res>[]>;
  /**
   * Opens a reliable, ordered byte stream to `host` for `protocol` (a short
   * ASCII name such as 'iomesh/1'). Data goes on a direct connection between
   * the two nodes (not through the mesh's control links), authenticated and
   * encrypted like mesh links when the mesh has a key. Rejects with a typed
   * MeshError: ERR_MESH_UNKNOWN_HOST, ERR_MESH_HOST_DOWN / ERR_MESH_UNREACHABLE,
   * ERR_MESH_NO_HANDLER, ERR_MESH_ABORTED, ERR_MESH_SELF.
   */
  openStream(host: string, protocol: string, opts?: { signal?: AbortSignal }): Promise<Duplex>;
  /** Serves incoming streams of `protocol`; returns an unregister function. */
  handleStream(protocol: string, handler: (stream: Duplex, ctx: StreamContext) => void): () => void;
  stats(): MeshStats;
  on<E extends keyof MeshEvents>(event: E, listener: (...args: MeshEvents[E]) => void): this;
  off<E extends keyof MeshEvents>(event: E, listener: (...args: MeshEvents[E]) => void): this;
  once<E extends keyof MeshEvents>(event: E, listener: (...args: MeshEvents[E]) => void): this;
  close(): Promise<void>;
}

interface Peer {
  name: string;
  inc: number;
  link: ChannelLink;
  address: string;
  /** [dialer is the smaller name ? 0 : 1, dialer nonce]: the smaller key wins a duplicate */
  key: string;
  /** which side dialed this link */
  dialer: string;
  /** the address we dialed (undefined when the peer dialed us) */
  dialAddress?: string;
  /** closed for silence (not by the peer): the network may come back */
  silent?: boolean;
  /** frames are objects built in this process (in-memory, no key): skip wire validation */
  trusted: boolean;
  lastRecv: number;
  lastSent: number;
  /** announcement entries this peer may still send (token bucket) */
  lsaBudget: number;
  lsaRefilled: number;
}

interface Row {
  host: string;
  via: string;
  /** the hops the request took (self … host); a request whose path breaks is lost */
  path: string[];
  settle(r: SendResult<unknown>): void;
}

interface Pending {
  rows: Map<string, Row>;
  kind: MessageKind<unknown, unknown>;
}

const DISCOVERY_VERSION = 2;

/** internal kind: where a node listens (for direct stream connections) */
const Locate = defineKind<null, string[]>('meshage.addrs', {
  response: z.array(z.string().max(300)).max(32),
});
/** a solicitation's timestamp must be within this of the receiver's clock */
const SOLICITATION_WINDOW_MS = 5 * 60_000;

type OutFrame = { t: keyof MeshStats['sent'] } & Record<string, unknown>;

/** an announcement waiting to be forwarded, and who must not get it */
interface FloodSlot {
  e: LsaEntry;
  from: string | undefined;
  /** peers that sent us this very version meanwhile (created on first duplicate) */
  skip?: Set<string>;
}

/** Start a mesh node: listen, then (degree > 0) solicit peers. */
export async function createMesh(opts: MeshOptions): Promise<Mesh> {
  const node = new MeshNode(opts);
  await node.start();
  return node;
}

class MeshNode extends EventEmitter implements Mesh {
  readonly name: string;
  readonly incarnation: number;
  readonly context: string;
  readonly #t: Transport;
  readonly #key: Uint8Array | undefined;
  readonly #version: string;
  readonly #o: Required<
    Pick<
      MeshOptions,
      | 'heartbeatMs'
      | 'deadAfterMs'
      | 'solicitMinMs'
      | 'solicitMaxMs'
      | 'handshakeTimeoutMs'
      | 'dialTimeoutMs'
      | 'lsaDelayMs'
      | 'lsaMinIntervalMs'
      | 'floodDelayMs'
      | 'gcGraceMs'
      | 'maxSolicitedDials'
      | 'redialForMs'
      | 'maxTtl'
      | 'maxNodes'
      | 'maxPeersPerNode'
      | 'maxTargets'
      | 'lsaEntriesPerSecond'
      | 'sendTimeoutMs'
    >
  >;
  readonly #log: (level: LogLevel, message: string) => void;
  readonly #random: () => number;
  readonly #closing = new AbortController();
  readonly #identity: LocalIdentity;
  readonly #streams: Streams;

  #degree: number;
  readonly #peers = new Map<string, Peer>();
  /** acceptor-side handshakes that were told "soliciting" (reserve a slot) */
  #reserved = 0;
  readonly #dialing = new Set<string>();
  readonly #redialing = new Set<string>();
  /** solicitors heard recently (estimates the broadcast domain's size) */
  readonly #heard = new Map<string, number>();
  /** newest solicitation timestamp heard per name (replays are not newer) */
  readonly #lastTs = new Map<string, number>();
  #heardPruned = 0;
  #solicitedDials = 0;

  readonly #db = new LinkStateDb();
  #seq = 0;
  #announced: string | undefined;
  #lastOriginate = 0;
  #originateTimer: NodeJS.Timeout | undefined;
  /** pending announcements to forward: the newest per origin, and peers known to have it */
  readonly #flood = new Map<string, FloodSlot>();
  #floodTimer: NodeJS.Timeout | undefined;

  #routes: Routes | undefined;
  #dirty = true;
  #recomputeTimer: NodeJS.Timeout | undefined;
  #lastTopology = '';
  #lastCollect = Date.now();

  readonly #handlers = new Map<string, Handler<unknown, unknown>>();
  readonly #kinds = new Map<string, MessageKind<unknown, unknown>>();
  readonly #pending = new Map<number, Pending>();
  #msgId = 0;

  #soliciting = false;
  #solicitAgain = false;
  #heartbeat: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #stats: MeshStats = {
    sent: { hello: 0, ready: 0, ping: 0, lsa: 0, req: 0, res: 0 },
    datagrams: 0,
  };

  constructor(opts: MeshOptions) {
    super();
    this.name = checkNodeName(opts.name);
    this.#t = opts.transport;
    this.context = opts.context ?? 'minimega';
    this.#degree = checkDegree(opts.degree ?? 0);
    this.#key = opts.key && opts.key.length > 0 ? opts.key : undefined;
    this.#version = opts.version ?? 'dev';
    this.#log = opts.log ?? (() => {});
    this.#random = opts.random ?? Math.random;
    this.#o = {
      heartbeatMs: opts.heartbeatMs ?? 500,
      deadAfterMs: opts.deadAfterMs ?? 2500,
      solicitMinMs: opts.solicitMinMs ?? 500,
      solicitMaxMs: opts.solicitMaxMs ?? 30_000,
      handshakeTimeoutMs: opts.handshakeTimeoutMs ?? 5000,
      dialTimeoutMs: opts.dialTimeoutMs ?? 10_000,
      lsaDelayMs: opts.lsaDelayMs ?? 10,
      lsaMinIntervalMs: opts.lsaMinIntervalMs ?? 250,
      floodDelayMs: opts.floodDelayMs ?? 5,
      gcGraceMs: opts.gcGraceMs ?? 60_000,
      maxSolicitedDials: opts.maxSolicitedDials ?? 4,
      redialForMs: opts.redialForMs ?? 600_000,
      maxTtl: opts.maxTtl ?? DEFAULT_TTL,
      maxNodes: opts.maxNodes ?? 5000,
      maxPeersPerNode: opts.maxPeersPerNode ?? 1024,
      maxTargets: opts.maxTargets ?? 4096,
      lsaEntriesPerSecond: opts.lsaEntriesPerSecond ?? opts.maxNodes ?? 5000,
      sendTimeoutMs: opts.sendTimeoutMs ?? 300_000,
    };
    for (const k of [
      'maxTtl',
      'maxNodes',
      'maxPeersPerNode',
      'maxTargets',
      'lsaEntriesPerSecond',
    ] as const) {
      if (!Number.isInteger(this.#o[k]) || this.#o[k] < 1) {
        throw new InvalidOptionError(`invalid ${k} ${this.#o[k]}`);
      }
    }
    // start time in ms * 1000 + random: restarts get a larger incarnation
    this.incarnation = Date.now() * 1000 + Math.floor(Math.random() * 1000);
    this.#identity = {
      name: this.name,
      incarnation: this.incarnation,
      version: this.#version,
      ...(this.#key ? { psk: derivePsk(this.#key) } : {}),
    };
    this.#streams = createStreams({
      identity: this.#identity,
      transport: this.#t,
      dialTimeoutMs: this.#o.dialTimeoutMs,
      handshakeTimeoutMs: this.#o.handshakeTimeoutMs,
      closing: this.#closing.signal,
      locate: (host, signal) => this.#locate(host, signal),
      log: this.#log,
    });
    this.handle(Locate, () => this.#t.addresses?.() ?? [this.#t.localAddress]);
  }

  async start(): Promise<void> {
    await this.#t.listen({
      link: (link) => {
        this.#setupLink(link, 'acceptor', false).catch((err: MeshError) =>
          this.#log('debug', `inbound link from ${link.remoteAddress} rejected: ${err.message}`),
        );
      },
      datagram: (data, from) => this.#onDatagram(data, from),
    });
    this.#heartbeat = setInterval(() => this.#tick(), this.#o.heartbeatMs);
    this.#heartbeat.unref();
    this.#kickSolicit();
  }

  // ---- public API -------------------------------------------------------

  get address(): string {
    return this.#t.localAddress;
  }

  get degree(): number {
    return this.#degree;
  }

  set degree(n: number) {
    this.#degree = checkDegree(n);
    this.#kickSolicit();
  }

  async dial(address: string, opts: { signal?: AbortSignal } = {}): Promise<string> {
    this.#assertOpen();
    if (address === this.name) throw new DialSelfError();
    if (this.#peers.has(address)) throw new AlreadyConnectedError(address);
    const link = await this.#t.dial(address, {
      signal: opts.signal,
      timeoutMs: this.#o.dialTimeoutMs,
    });
    const name = await this.#setupLink(link, 'dialer', false, address);
    return name ?? address;
  }

  hangup(name: string): void {
    const p = this.#peers.get(name);
    if (!p) throw new NoSuchPeerError(name);
    p.link.close('hangup');
  }

  peers(): string[] {
    return [...this.#peers.keys()].sort();
  }

  peerInfo(): PeerInfo[] {
    return [...this.#peers.values()]
      .map((p) => ({ name: p.name, address: p.address, incarnation: p.inc }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  nodes(): string[] {
    return [...this.#currentRoutes().nodes];
  }

  size(): number {
    return this.#currentRoutes().size;
  }

  adjacency(): Map<string, string[]> {
    return new Map([...this.#currentRoutes().adjacency].map(([k, v]) => [k, [...v]]));
  }

  route(name: string): string | undefined {
    return this.#currentRoutes().nextHop.get(name);
  }

  handle<Req, Res>(kind: MessageKind<Req, Res>, handler: Handler<Req, Res>): () => void {
    if (this.#handlers.has(kind.name)) {
      throw new InvalidOptionError(`a handler for ${kind.name} is already registered`);
    }
    this.#handlers.set(kind.name, handler as Handler<unknown, unknown>);
    this.#kinds.set(kind.name, kind as MessageKind<unknown, unknown>);
    return () => {
      if (this.#handlers.get(kind.name) === handler) {
        this.#handlers.delete(kind.name);
        this.#kinds.delete(kind.name);
      }
    };
  }

  broadcast<Req, Res>(
    kind: MessageKind<Req, Res>,
    body: Req,
    opts?: SendOptions,
  ): Promise<SendResult<Res>[]> {
    const all = this.nodes().filter((n) => n !== this.name);
    return this.send(all, kind, body, opts);
  }

  async send<Req, Res>(
    hosts: readonly string[],
    kind: MessageKind<Req, Res>,
    body: Req,
    opts: SendOptions = {},
  ): Promise<SendResult<Res>[]> {
    const unique = [...new Set(hosts)];
    const results = new Map<string, Promise<SendResult<Res>>>();
    if (this.#closed) {
      for (const h of unique) results.set(h, fail(new MeshAbortedError(h)));
      return Promise.all(results.values());
    }
    const routes = this.#currentRoutes();
    const id = ++this.#msgId;
    const pending: Pending = { rows: new Map(), kind: kind as MessageKind<unknown, unknown> };
    const groups = new Map<string, string[]>();
    for (const host of unique) {
      if (host === this.name) {
        results.set(host, fail(new SelfSendError(host)));
        continue;
      }
      const via = routes.nextHop.get(host);
      if (!via) {
        const known = this.#db.get(host) !== undefined;
        results.set(
          host,
          fail(known ? new HostDownError(host, 'is unreachable') : new UnknownHostError(host)),
        );
        continue;
      }
      results.set(
        host,
        new Promise<SendResult<Res>>((resolve) => {
          pending.rows.set(host, {
            host,
            via,
            path: routes.path(host) ?? [this.name, host],
            settle: (r) => {
              if (!pending.rows.delete(host)) return;
              resolve(r as SendResult<Res>);
              if (pending.rows.size === 0) this.#pending.delete(id);
            },
          });
        }),
      );
      const g = groups.get(via);
      if (g) g.push(host);
      else groups.set(via, [host]);
    }
    if (pending.rows.size > 0) {
      this.#pending.set(id, pending);
      const settleAll = (mk: (host: string) => HostError) => {
        for (const row of [...pending.rows.values()]) {
          row.settle({ host: row.host, ok: false, error: mk(row.host) });
        }
      };
      let timer: NodeJS.Timeout | undefined;
      const deadline = opts.timeout ?? this.#o.sendTimeoutMs;
      if (deadline >= 0 && Number.isFinite(deadline)) {
        timer = setTimeout(() => settleAll((h) => new MeshTimeoutError(h)), deadline);
      }
      const onAbort = () => settleAll((h) => new MeshAbortedError(h));
      if (opts.signal?.aborted) onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      for (const [via, all] of groups) {
        for (let at = 0; at < all.length; at += this.#o.maxTargets) {
          this.#sendReq(id, pending, via, all.slice(at, at + this.#o.maxTargets), kind.name, body);
        }
      }
      const out = await Promise.all(results.values());
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      return out;
    }
    return Promise.all(results.values());
  }

  #sendReq(
    id: number,
    pending: Pending,
    via: string,
    to: string[],
    kind: string,
    body: unknown,
  ): void {
    const paths: Record<string, string[]> = {};
    for (const h of to) {
      const row = pending.rows.get(h);
      if (row) paths[h] = row.path;
    }
    const frame: ReqFrame = {
      t: 'req',
      id,
      src: this.name,
      inc: this.incarnation,
      to,
      paths,
      kind,
      ttl: this.#o.maxTtl,
      body,
    };
    if (!this.#sendTo(via, frame)) {
      for (const h of to) {
        pending.rows.get(h)?.settle({ host: h, ok: false, error: new RouteLostError(h, via) });
      }
    }
  }

  openStream(host: string, protocol: string, opts?: { signal?: AbortSignal }): Promise<Duplex> {
    return this.#streams.open(host, protocol, opts);
  }

  handleStream(protocol: string, handler: StreamHandler): () => void {
    return this.#streams.handle(protocol, handler);
  }

  /** where `host` listens, best first (for a direct stream connection) */
  async #locate(host: string, signal: AbortSignal | undefined): Promise<string[]> {
    const [row] = await this.send([host], Locate, null, {
      ...(signal ? { signal } : {}),
      timeout: this.#o.dialTimeoutMs,
    });
    if (!row) throw new UnknownHostError(host);
    if (!row.ok) throw row.error;
    const dialed = this.#peers.get(host)?.dialAddress;
    return [...new Set([...(dialed ? [dialed] : []), ...row.value])];
  }

  stats(): MeshStats {
    return { sent: { ...this.#stats.sent }, datagrams: this.#stats.datagrams };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing.abort();
    for (const t of [
      this.#heartbeat,
      this.#originateTimer,
      this.#floodTimer,
      this.#recomputeTimer,
    ]) {
      if (t) clearTimeout(t);
    }
    for (const p of this.#pending.values()) {
      for (const row of [...p.rows.values()]) {
        row.settle({ host: row.host, ok: false, error: new MeshAbortedError(row.host) });
      }
    }
    this.#pending.clear();
    for (const p of this.#peers.values()) p.link.close('mesh closed');
    await this.#t.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- links and handshake ---------------------------------------------

  #assertOpen(): void {
    if (this.#closed) throw new MeshClosedError();
  }

  #send(link: Link, frame: OutFrame): boolean {
    try {
      link.send(frame);
      this.#stats.sent[frame.t]++;
      return true;
    } catch {
      return false;
    }
  }

  #sendTo(peerName: string, frame: OutFrame): boolean {
    const p = this.#peers.get(peerName);
    if (!p) return false;
    const ok = this.#send(p.link, frame);
    if (ok) p.lastSent = Date.now();
    return ok;
  }

  /**
   * Run the handshake on a fresh link. Resolves with the peer name once the
   * link is a registered peer, undefined when the link was declined quietly
   * (a solicited dial to a node that no longer solicits), rejects otherwise.
   */
  async #setupLink(
    raw: Link,
    role: 'dialer' | 'acceptor',
    solicited: boolean,
    dialAddress?: string,
  ): Promise<string | undefined> {
    this.#stats.sent.hello++;
    const timeoutMs = this.#o.handshakeTimeoutMs;
    let hello: { name: string; inc: number; version: string };
    let link: ChannelLink;
    let dialerNonce: Uint8Array;
    if (role === 'acceptor') {
      let reserved = false;
      try {
        const r = await respond(raw, this.#identity, {
          timeoutMs,
          admit: (h) => {
            if (h.purpose === 'stream') return this.#streams.admit(h);
            if (this.#closed) return { ok: false, error: new MeshClosedError() };
            // a slot is reserved for a dialer told "soliciting" until its handshake ends
            const soliciting = this.#peers.size + this.#reserved < this.#degree;
            if (soliciting) {
              this.#reserved++;
              reserved = true;
            }
            return { ok: true, soliciting };
          },
        });
        if (r.hello.purpose === 'stream') {
          this.#streams.accepted(r.link, r.hello);
          return undefined;
        }
        hello = r.hello;
        link = r.link;
        dialerNonce = r.hello.nonce;
      } finally {
        if (reserved) this.#reserved--;
      }
    } else {
      const r = await initiate(
        raw,
        this.#identity,
        { purpose: 'peer' },
        {
          timeoutMs,
          decide: (h, nonce) => {
            if (solicited && !h.soliciting) return 'decline';
            const existing = this.#peers.get(h.name);
            if (existing && existing.inc === h.inc) {
              // a second link we dial ourselves always loses; a crossing dial is settled by key
              const ours = `${this.name < h.name ? 0 : 1}:${Buffer.from(nonce).toString('hex')}`;
              if (existing.dialer === this.name || existing.key <= ours) {
                return new AlreadyConnectedError(h.name);
              }
            }
            return undefined;
          },
        },
      );
      if (!r) return undefined;
      hello = r.hello;
      link = r.link;
      dialerNonce = r.nonce;
    }
    this.#stats.sent.ready++;
    if (hello.version !== this.#version) {
      this.#log('warn', `version mismatch with ${hello.name}: ${hello.version}`);
    }
    const dialer = role === 'dialer' ? this.name : hello.name;
    const other = role === 'dialer' ? hello.name : this.name;
    const peer: Peer = {
      name: hello.name,
      inc: hello.inc,
      link,
      address: link.remoteAddress,
      key: `${dialer < other ? 0 : 1}:${Buffer.from(dialerNonce).toString('hex')}`,
      dialer,
      trusted: this.#t.trusted === true && !link.encrypted,
      ...(dialAddress ? { dialAddress } : {}),
      lastRecv: Date.now(),
      lastSent: Date.now(),
      // a new link gets the whole database at once: start with a full bucket
      lsaBudget: 2 * this.#o.maxNodes,
      lsaRefilled: Date.now(),
    };
    const err = this.#register(peer);
    if (err) {
      link.close(err.message);
      throw err;
    }
    link.attach({
      frame: (f) => this.#onFrame(peer, f),
      close: (reason) => this.#onLinkClosed(peer, reason),
    });
    return hello.name;
  }

  /** Add a handshaken peer, resolving duplicates; returns an error when the new link loses. */
  #register(p: Peer): MeshError | undefined {
    if (this.#closed) return new MeshClosedError();
    const existing = this.#peers.get(p.name);
    if (existing) {
      if (p.inc < existing.inc) return new HandshakeError(`stale incarnation of ${p.name}`);
      if (p.inc === existing.inc) {
        // two links between the same pair (simultaneous dials): both ends keep the same one
        if (existing.key <= p.key) return new AlreadyConnectedError(p.name);
        this.#peers.set(p.name, p);
        existing.link.close('replaced by a duplicate link');
        this.#sendFullDb(p.name);
        return undefined;
      }
      // the peer restarted: the old link is dead even if it has not noticed yet
      this.#peers.delete(p.name);
      existing.link.close('peer restarted');
      this.#peerGone(existing.name, 'peer restarted');
      this.emit('peer-down', existing.name, 'peer restarted');
    }
    this.#peers.set(p.name, p);
    this.#log('info', `peer up: ${p.name} (${p.address})`);
    this.#sendFullDb(p.name);
    this.#peersChanged();
    this.emit('peer-up', p.name);
    return undefined;
  }

  #onLinkClosed(p: Peer, reason: string): void {
    if (this.#peers.get(p.name) !== p) return;
    this.#peers.delete(p.name);
    this.#log('info', `peer down: ${p.name}: ${reason}`);
    this.#peerGone(p.name, reason);
    if (this.#closed) return;
    this.#peersChanged();
    this.emit('peer-down', p.name, reason);
    this.#kickSolicit();
    if (p.silent && p.dialAddress) void this.#redial(p.name, p.dialAddress);
  }

  /**
   * A link we dialed went silent (cable pulled, partition): keep redialing
   * it with back-off for a while, so partitions heal even when both sides
   * found enough peers meanwhile and stopped soliciting.
   */
  async #redial(name: string, address: string): Promise<void> {
    if (this.#redialing.has(name)) return;
    this.#redialing.add(name);
    try {
      const giveUp = Date.now() + this.#o.redialForMs;
      for (
        let wait = this.#o.heartbeatMs * 2;
        Date.now() < giveUp;
        wait = Math.min(wait * 2, 30_000)
      ) {
        await sleep(wait * (0.5 + this.#random() / 2), this.#closing.signal);
        if (this.#closed || this.#peers.has(name)) return;
        try {
          await this.dial(address);
          return;
        } catch (err) {
          if ((err as MeshError).code === 'ERR_MESH_ALREADY_CONNECTED') return;
        }
      }
    } finally {
      this.#redialing.delete(name);
    }
  }

  /** fail requests that were routed through a link that is gone */
  #peerGone(name: string, _reason: string): void {
    for (const pending of this.#pending.values()) {
      for (const row of [...pending.rows.values()]) {
        if (row.via !== name) continue;
        const error =
          row.host === name
            ? new HostDownError(name, 'left the mesh')
            : new RouteLostError(row.host, name);
        row.settle({ host: row.host, ok: false, error });
      }
    }
  }

  #tick(): void {
    const now = Date.now();
    for (const p of [...this.#peers.values()]) {
      if (now - p.lastRecv > this.#o.deadAfterMs) {
        p.silent = true;
        p.link.close(`no traffic for ${now - p.lastRecv} ms`);
      } else if (now - p.lastSent >= this.#o.heartbeatMs * 0.8) {
        this.#sendTo(p.name, { t: 'ping' });
      }
    }
    if (now - this.#lastCollect > this.#o.gcGraceMs / 4) {
      // forget nodes that stayed unreachable (bounded memory under churn)
      this.#lastCollect = now;
      this.#db.collect(new Set(this.#currentRoutes().nodes), now, this.#o.gcGraceMs);
    }
  }

  // ---- frames -----------------------------------------------------------

  #onFrame(p: Peer, raw: unknown): void {
    p.lastRecv = Date.now();
    let f: MeshFrame;
    if (p.trusted) {
      f = raw as MeshFrame;
    } else {
      const parsed = meshFrame.safeParse(raw);
      if (!parsed.success) {
        this.#abuse(p, `malformed frame: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
        return;
      }
      f = parsed.data;
    }
    let why: string | undefined;
    switch (f.t) {
      case 'ping':
        return;
      case 'lsa':
        why = this.#onLsa(p, f.e);
        break;
      case 'req':
        why = this.#onReq(p, f);
        break;
      case 'res':
        why = this.#onRes(f, p);
        break;
    }
    if (why) this.#abuse(p, why);
  }

  /** a peer broke the protocol's limits: drop the link and say so */
  #abuse(p: Peer, why: string): void {
    this.#log('warn', `disconnecting ${p.name} (${p.address}): ${why}`);
    p.link.close(`protocol violation: ${why}`);
  }

  /**
   * The hop after this node on a source route, checked: the route must be
   * loop-free, no longer than the hop limit, end at `dst`, and list the peer
   * the frame came from right before this node. Returns an error string for
   * a forged route; undefined next when the next hop is not a live peer.
   */
  #routeNext(
    path: readonly string[],
    dst: string,
    from: string,
  ): { next?: string; error?: string } {
    if (path.length < 2 || path.length > this.#o.maxTtl + 1) return { error: 'route length' };
    if (path[path.length - 1] !== dst) return { error: 'route does not end at its target' };
    if (new Set(path).size !== path.length) return { error: 'route with a loop' };
    const i = path.indexOf(this.name);
    if (i < 1 || path[i - 1] !== from) return { error: `route does not come from ${from}` };
    const next = path[i + 1];
    return next !== undefined && this.#peers.has(next) ? { next } : {};
  }

  // ---- topology ---------------------------------------------------------

  #peersChanged(): void {
    this.#markDirty();
    this.#scheduleOriginate();
  }

  #markDirty(): void {
    this.#dirty = true;
    if (this.#recomputeTimer || this.#closed) return;
    if (this.#pending.size === 0 && this.listenerCount('topology') === 0) return;
    this.#recomputeTimer = setTimeout(() => {
      this.#recomputeTimer = undefined;
      this.#currentRoutes();
    }, 10);
  }

  #scheduleOriginate(): void {
    if (this.#originateTimer || this.#closed) return;
    const wait = Math.max(
      this.#o.lsaDelayMs,
      this.#lastOriginate + this.#o.lsaMinIntervalMs - Date.now(),
    );
    this.#originateTimer = setTimeout(() => {
      this.#originateTimer = undefined;
      this.#originate();
    }, wait);
  }

  #originate(): void {
    const peers = this.peers();
    const sig = peers.join('\u0000');
    if (sig === this.#announced) return;
    this.#announced = sig;
    this.#lastOriginate = Date.now();
    const entry: LsaEntry = { o: this.name, i: this.incarnation, s: ++this.#seq, p: peers };
    this.#db.accept(entry);
    this.#enqueueFlood(entry, undefined);
  }

  #onLsa(from: Peer, entries: LsaEntry[]): string | undefined {
    const now = Date.now();
    const rate = this.#o.lsaEntriesPerSecond;
    from.lsaBudget = Math.min(
      2 * this.#o.maxNodes,
      from.lsaBudget + ((now - from.lsaRefilled) / 1000) * rate,
    );
    from.lsaRefilled = now;
    from.lsaBudget -= entries.length;
    if (from.lsaBudget < 0) return `announcements faster than ${rate} entries/s`;
    if (entries.length > this.#o.maxNodes) {
      return `announcement of ${entries.length} nodes (limit ${this.#o.maxNodes})`;
    }
    let changed = false;
    let refused = 0;
    for (const e of entries) {
      if (e.p.length > this.#o.maxPeersPerNode) {
        return `${e.o} announced with ${e.p.length} peers (limit ${this.#o.maxPeersPerNode})`;
      }
      if (this.#db.size >= this.#o.maxNodes && this.#db.get(e.o) === undefined) {
        refused++;
        continue;
      }
      if (e.o === this.name) {
        // an announcement of ours from before a restart of the sequence: jump past it
        if (e.i === this.incarnation && e.s > this.#seq) {
          this.#seq = e.s;
          this.#announced = undefined;
          this.#scheduleOriginate();
        }
        continue;
      }
      if (!this.#db.accept(e)) {
        // the sender has this version: do not send it back to them in the pending batch
        const slot = this.#flood.size > 0 ? this.#flood.get(e.o) : undefined;
        if (slot && slot.e.i === e.i && slot.e.s === e.s) {
          slot.skip ??= new Set();
          slot.skip.add(from.name);
        }
        continue;
      }
      changed = true;
      this.#enqueueFlood(e, from.name);
    }
    if (changed) this.#markDirty();
    if (refused > 0) {
      return `announced ${refused} nodes past this node's limit of ${this.#o.maxNodes}`;
    }
    return undefined;
  }

  #enqueueFlood(e: LsaEntry, from: string | undefined): void {
    // one pending slot per origin: a newer version replaces an older one in the same batch
    this.#flood.set(e.o, { e, from });
    if (!this.#floodTimer && !this.#closed) {
      this.#floodTimer = setTimeout(() => this.#flushFlood(), this.#o.floodDelayMs);
    }
  }

  #flushFlood(): void {
    this.#floodTimer = undefined;
    const batch = [...this.#flood.values()];
    this.#flood.clear();
    for (const name of this.#peers.keys()) {
      const e: LsaEntry[] = [];
      for (const b of batch) {
        if (b.e.o !== name && b.from !== name && !b.skip?.has(name)) e.push(b.e);
      }
      if (e.length > 0) this.#sendTo(name, { t: 'lsa', e });
    }
  }

  #sendFullDb(name: string): void {
    this.#sendTo(name, { t: 'lsa', e: this.#db.entries() });
  }

  #currentRoutes(): Routes {
    if (this.#routes && !this.#dirty) return this.#routes;
    this.#dirty = false;
    const routes = computeRoutes(this.name, new Set(this.#peers.keys()), this.#db);
    this.#routes = routes;
    // requests to hosts that left the mesh fail now, not at their timeout
    for (const pending of this.#pending.values()) {
      for (const row of [...pending.rows.values()]) {
        if (!routes.distance.has(row.host)) {
          row.settle({ host: row.host, ok: false, error: new HostDownError(row.host) });
          continue;
        }
        // a hop of its path went away: the request (or its answer) may be lost there
        const broken = this.#brokenHop(row.path);
        if (broken) {
          row.settle({ host: row.host, ok: false, error: new RouteLostError(row.host, broken) });
        }
      }
    }
    if (this.listenerCount('topology') > 0) {
      const sig = [...routes.adjacency].map(([k, v]) => `${k}:${v.join(',')}`).join(';');
      if (sig !== this.#lastTopology) {
        this.#lastTopology = sig;
        this.emit('topology', [...routes.nodes]);
      }
    }
    return routes;
  }

  /** the first node of `path` whose link to the next one is gone */
  #brokenHop(path: string[]): string | undefined {
    for (let i = 0; i + 1 < path.length; i++) {
      const a = path[i] as string;
      const b = path[i + 1] as string;
      const up =
        a === this.name
          ? this.#peers.has(b)
          : b === this.name
            ? this.#peers.has(a)
            : this.#db.lists(a, b) && this.#db.lists(b, a);
      if (!up) return b;
    }
    return undefined;
  }

  // ---- messages ---------------------------------------------------------

  #onReq(from: Peer, raw: ReqFrame): string | undefined {
    if (raw.to.length > this.#o.maxTargets) {
      return `request to ${raw.to.length} hosts (limit ${this.#o.maxTargets})`;
    }
    // the sender sets the hop limit, but never above ours
    const f = raw.ttl > this.#o.maxTtl ? { ...raw, ttl: this.#o.maxTtl } : raw;
    const to = [...new Set(f.to)];
    const mine = to.includes(this.name);
    const others = mine ? to.filter((h) => h !== this.name) : to;
    const hops = new Map<string, string | undefined>();
    for (const h of others) {
      const path = f.paths?.[h];
      if (!path) {
        hops.set(h, this.#currentRoutes().nextHop.get(h));
        continue;
      }
      const r = this.#routeNext(path, h, from.name);
      if (r.error) return `request with a forged route to ${h}: ${r.error}`;
      hops.set(h, r.next);
    }
    if (others.length > 0) this.#forwardReq(f, others, hops);
    if (mine) void this.#deliver(f);
    return undefined;
  }

  #forwardReq(f: ReqFrame, to: string[], hops: Map<string, string | undefined>): void {
    const groups = new Map<string, string[]>();
    for (const h of to) {
      const via = f.ttl > 1 ? hops.get(h) : undefined;
      if (!via) {
        this.#reply(f, h, {
          ok: false,
          code: 'ERR_MESH_UNREACHABLE',
          msg:
            f.ttl > 1 ? `no route to ${h} from ${this.name}` : `hop limit reached at ${this.name}`,
        });
        continue;
      }
      const g = groups.get(via);
      if (g) g.push(h);
      else groups.set(via, [h]);
    }
    for (const [via, hosts] of groups) {
      const paths: Record<string, string[]> = {};
      for (const h of hosts) {
        const p = f.paths?.[h];
        if (p) paths[h] = p;
      }
      if (!this.#sendTo(via, { ...f, to: hosts, paths, ttl: f.ttl - 1 })) {
        for (const h of hosts) {
          this.#reply(f, h, {
            ok: false,
            code: 'ERR_MESH_UNREACHABLE',
            msg: `no route to ${h} from ${this.name}`,
          });
        }
      }
    }
  }

  async #deliver(f: ReqFrame): Promise<void> {
    const handler = this.#handlers.get(f.kind);
    const kind = this.#kinds.get(f.kind);
    if (!handler || !kind) {
      this.#reply(f, this.name, {
        ok: false,
        code: 'ERR_MESH_NO_HANDLER',
        msg: `${this.name} has no handler for message kind ${f.kind}`,
      });
      return;
    }
    let body = f.body;
    if (kind.request) {
      const parsed = kind.request.safeParse(f.body);
      if (!parsed.success) {
        this.#reply(f, this.name, {
          ok: false,
          code: 'ERR_MESH_BAD_BODY',
          msg: `invalid message body: ${parsed.error.message}`,
        });
        return;
      }
      body = parsed.data;
    }
    try {
      const value = await handler(body, { from: f.src, signal: this.#closing.signal });
      this.#reply(f, this.name, { ok: true, body: value });
    } catch (err) {
      this.#reply(f, this.name, {
        ok: false,
        code: 'ERR_MESH_REMOTE',
        msg: err instanceof Error ? err.message : String(err),
      });
    }
  }

  #reply(
    f: ReqFrame,
    host: string,
    r: { ok: boolean; body?: unknown; code?: string; msg?: string },
  ): void {
    // retrace the request's hops (from here back to the source) when it carried them
    const forward = f.paths?.[host];
    const at = forward ? forward.indexOf(this.name) : -1;
    const res: ResFrame = {
      t: 'res',
      re: f.id,
      inc: f.inc,
      src: host,
      dst: f.src,
      ttl: this.#o.maxTtl,
      ...(forward && at >= 0 ? { path: forward.slice(0, at + 1).reverse() } : {}),
      ok: r.ok,
      body: r.body ?? null,
      ...(r.code ? { code: r.code } : {}),
      ...(r.msg !== undefined ? { msg: r.msg } : {}),
    };
    this.#onRes(res);
  }

  #onRes(raw: ResFrame, from?: Peer): string | undefined {
    const f = raw.ttl > this.#o.maxTtl ? { ...raw, ttl: this.#o.maxTtl } : raw;
    if (f.dst !== this.name) {
      if (f.ttl <= 1) return undefined;
      let via: string | undefined;
      if (f.path && from) {
        // source-routed: a broken hop drops the reply; the requester sees the broken path
        const r = this.#routeNext(f.path, f.dst, from.name);
        if (r.error) return `response with a forged route: ${r.error}`;
        via = r.next;
      } else if (f.path) {
        // our own reply (from = undefined): we are the path's first hop
        const next = f.path[1];
        via = next !== undefined && this.#peers.has(next) ? next : undefined;
      } else {
        via = this.#currentRoutes().nextHop.get(f.dst);
      }
      if (via) this.#sendTo(via, { ...f, ttl: f.ttl - 1 });
      else this.#log('debug', `dropping response for unreachable ${f.dst}`);
      return undefined;
    }
    this.#settleRes(f);
    return undefined;
  }

  #settleRes(f: ResFrame): void {
    if (f.inc !== this.incarnation) return;
    const pending = this.#pending.get(f.re);
    const row = pending?.rows.get(f.src);
    if (!pending || !row) return;
    if (!f.ok) {
      row.settle({
        host: f.src,
        ok: false,
        error: hostErrorFromWire(f.src, f.code ?? '', f.msg ?? 'remote error'),
      });
      return;
    }
    let value = f.body;
    if (pending.kind.response) {
      const parsed = pending.kind.response.safeParse(f.body);
      if (!parsed.success) {
        row.settle({
          host: f.src,
          ok: false,
          error: new BadBodyError(f.src, parsed.error.message),
        });
        return;
      }
      value = parsed.data;
    }
    row.settle({ host: f.src, ok: true, value });
  }

  // ---- discovery --------------------------------------------------------

  #kickSolicit(): void {
    if (this.#closed || this.#degree === 0) return;
    if (this.#soliciting) {
      this.#solicitAgain = true;
      return;
    }
    this.#soliciting = true;
    void this.#solicitLoop().finally(() => {
      this.#soliciting = false;
      if (this.#solicitAgain) {
        this.#solicitAgain = false;
        this.#kickSolicit();
      }
    });
  }

  async #solicitLoop(): Promise<void> {
    let window = this.#o.solicitMinMs;
    while (!this.#closed && this.#peers.size < this.#degree) {
      this.#solicitAgain = false;
      try {
        const errors = await this.#t.broadcast(this.#solicitation());
        this.#stats.datagrams++;
        for (const e of errors) this.#log('warn', `solicitation: ${e}`);
      } catch (err) {
        // never stop soliciting because one send failed
        this.#log('warn', `solicitation: ${err instanceof Error ? err.message : err}`);
      }
      await sleep(this.#random() * window, this.#closing.signal);
      window = Math.min(window * 2, this.#o.solicitMaxMs);
    }
  }

  #solicitation(): Uint8Array {
    const b = encode({
      ctx: this.context,
      name: this.name,
      want: Math.max(0, this.#degree - this.#peers.size),
      addrs: this.#t.addresses?.() ?? [this.#t.localAddress],
      ts: Date.now(),
    } satisfies SolicitationBody);
    return encode({
      m: 'meshage',
      v: DISCOVERY_VERSION,
      b,
      ...(this.#key ? { mac: datagramMac(this.#key, b) } : {}),
    });
  }

  #onDatagram(data: Uint8Array, from: string): void {
    if (this.#closed) return;
    const d = parseSolicitation(data);
    if (!d || d.v !== DISCOVERY_VERSION) return;
    if (this.#key ? !macEqual(d.mac, datagramMac(this.#key, d.b)) : d.mac !== undefined) {
      this.#log('debug', `ignoring solicitation from ${from}: wrong or missing mesh key`);
      return;
    }
    const s = parseSolicitationBody(d.b);
    if (!s || s.ctx !== this.context || s.name === this.name) return;
    const now = Date.now();
    // freshness: a recorded solicitation replayed later (or again) is ignored
    if (Math.abs(now - s.ts) > SOLICITATION_WINDOW_MS) {
      this.#log('warn', `ignoring solicitation from ${s.name}: its clock is ${now - s.ts} ms off`);
      return;
    }
    const last = this.#lastTs.get(s.name);
    if (last !== undefined && s.ts <= last) return;
    this.#lastTs.set(s.name, s.ts);
    // only dial where the (authenticated) sender says it listens
    if (!s.addrs.includes(from)) {
      this.#log(
        'debug',
        `ignoring solicitation from ${s.name}: sent from ${from}, not its own address`,
      );
      return;
    }
    this.#heard.set(s.name, now);
    if (this.#peers.has(s.name) || this.#dialing.has(s.name)) return;
    if (this.#peers.size > 16 && Math.floor(this.#random() * 8) !== 0) return;
    // In a big broadcast domain every node hears every solicitation: answer
    // with a probability that gives the solicitor a few offers, not hundreds.
    if (this.#random() >= this.#answerProbability(s.want, now)) return;
    if (this.#solicitedDials >= this.#o.maxSolicitedDials) return;
    this.#solicitedDials++;
    this.#dialing.add(s.name);
    void this.#solicitedDial(from).finally(() => {
      this.#solicitedDials--;
      this.#dialing.delete(s.name);
    });
  }

  /** (2·want + 2) / (nodes we know of): ~1 in small meshes, a few offers in big ones */
  #answerProbability(want: number, now: number): number {
    if (now - this.#heardPruned > 1000) {
      for (const [n, t] of this.#heard) if (now - t > 10_000) this.#heard.delete(n);
      for (const [n, t] of this.#lastTs) {
        if (now - t > SOLICITATION_WINDOW_MS) this.#lastTs.delete(n);
      }
      this.#heardPruned = now;
    }
    const domain = Math.max(this.#heard.size, this.#db.size);
    return Math.min(1, (2 * Math.max(want, 1) + 2) / Math.max(domain, 1));
  }

  async #solicitedDial(address: string): Promise<void> {
    try {
      const link = await this.#t.dial(address, {
        signal: this.#closing.signal,
        timeoutMs: this.#o.dialTimeoutMs,
      });
      await this.#setupLink(link, 'dialer', true, address);
    } catch (err) {
      this.#log('debug', `solicited dial ${address}: ${err instanceof Error ? err.message : err}`);
    }
  }
}

/**
 * Decode and validate a solicitation. In one process (in-memory transport)
 * every receiver of a broadcast gets the same buffer: decode it once.
 */
const parsedDatagrams = new WeakMap<Uint8Array, Solicitation | null>();
function parseSolicitation(data: Uint8Array): Solicitation | undefined {
  const cached = parsedDatagrams.get(data);
  if (cached !== undefined) return cached ?? undefined;
  let result: Solicitation | null = null;
  try {
    const parsed = solicitation.safeParse(decode(data));
    if (parsed.success) result = parsed.data;
  } catch {
    // garbage: dropped
  }
  parsedDatagrams.set(data, result);
  return result ?? undefined;
}

function parseSolicitationBody(b: Uint8Array): SolicitationBody | undefined {
  try {
    const parsed = solicitationBody.safeParse(decode(b));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function checkDegree(n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new InvalidOptionError(`invalid degree ${n}`);
  return n;
}

function fail<T>(error: HostError): Promise<SendResult<T>> {
  return Promise.resolve({ host: error.host, ok: false, error });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
