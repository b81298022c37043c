// A mesh node, composed of small parts that each do one job and receive
// what they use: the handshake (handshake.ts, run by the peer table), the
// peer table (peers.ts), topology flooding and routes (flooding.ts),
// requests and replies (requests.ts), discovery (discovery.ts) and byte
// streams (streams.ts). This file resolves options, wires the parts
// together (who hears about a peer coming or going, which frame goes where)
// and exposes the Mesh API. Written against the Transport contract only.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { z } from 'zod';
import { derivePsk } from './auth.js';
import type { Core, LogLevel, MeshStats, Tunables } from './core.js';
import { createDiscovery } from './discovery.js';
import { InvalidOptionError, NoSuchPeerError, UnknownHostError } from './errors.js';
import { createFlooding } from './flooding.js';
import { defineKind, type MessageKind } from './kinds.js';
import { checkNodeName } from './names.js';
import { createPeerTable, type Peer } from './peers.js';
import {
  createRequests,
  type Handler,
  type HandlerContext,
  type Messaging,
  type SendOptions,
  type SendResult,
} from './requests.js';
import { createStreams, type StreamContext, type StreamHandler } from './streams.js';
import type { Transport } from './transport.js';
import { DEFAULT_TTL, type MeshFrame, meshFrame } from './wire.js';

export type { Handler, HandlerContext, LogLevel, MeshStats, SendOptions, SendResult };

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

export interface MeshEvents {
  'peer-up': [name: string];
  'peer-down': [name: string, reason: string];
  /** the reachable node set or an edge changed; carries the sorted node list */
  topology: [nodes: string[]];
}

export interface PeerInfo {
  name: string;
  address: string;
  incarnation: number;
}

/** the mesh API; `handle` and `send` are the request layer's (requests.ts) */
export interface Mesh extends AsyncDisposable, Messaging {
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

/** internal kind: where a node listens (for direct stream connections) */
const Locate = defineKind<null, string[]>('meshage.addrs', {
  response: z.array(z.string().max(300)).max(32),
});

function tunables(opts: MeshOptions): Tunables {
  const o: Tunables = {
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
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new InvalidOptionError(`invalid ${k} ${o[k]}`);
  }
  return o;
}

function checkDegree(n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new InvalidOptionError(`invalid degree ${n}`);
  return n;
}

/** Start a mesh node: listen, then (degree > 0) solicit peers. */
export async function createMesh(opts: MeshOptions): Promise<Mesh> {
  const node = new MeshNode(opts);
  await node.start();
  return node;
}

let lastIncarnation = 0;
/**
 * Start time in ms * 1000 + random low digits, so a restarted node gets a
 * larger incarnation than its previous life; strictly increasing within one
 * process, so two meshes made in the same millisecond (in-memory clusters,
 * tests) never share one (the acceptor refuses an equal incarnation as a
 * dial to itself).
 */
function nextIncarnation(): number {
  const fresh = Date.now() * 1000 + Math.floor(Math.random() * 1000);
  lastIncarnation = Math.max(fresh, lastIncarnation + 1);
  return lastIncarnation;
}

class MeshNode extends EventEmitter implements Mesh {
  readonly name: string;
  readonly incarnation: number;
  readonly context: string;
  readonly #core: Core;
  readonly #closing = new AbortController();
  readonly #stats: MeshStats = {
    sent: { hello: 0, ready: 0, ping: 0, lsa: 0, req: 0, res: 0 },
    datagrams: 0,
  };
  #degree: number;
  #closed = false;
  #heartbeat: NodeJS.Timeout | undefined;
  #lastTopology = '';
  readonly #peers;
  readonly #flooding;
  readonly #requests;
  readonly #discovery;
  readonly #streams;

  constructor(opts: MeshOptions) {
    super();
    this.name = checkNodeName(opts.name);
    this.context = opts.context ?? 'minimega';
    this.#degree = checkDegree(opts.degree ?? 0);
    this.incarnation = nextIncarnation();
    const key = opts.key && opts.key.length > 0 ? opts.key : undefined;
    const version = opts.version ?? 'dev';
    const core: Core = {
      name: this.name,
      incarnation: this.incarnation,
      context: this.context,
      transport: opts.transport,
      identity: {
        name: this.name,
        incarnation: this.incarnation,
        version,
        ...(key ? { psk: derivePsk(key) } : {}),
      },
      key,
      version,
      o: tunables(opts),
      log: opts.log ?? (() => {}),
      random: opts.random ?? Math.random,
      closing: this.#closing.signal,
      stats: this.#stats,
      closed: () => this.#closed,
      degree: () => this.#degree,
    };
    this.#core = core;
    this.#streams = createStreams({
      identity: core.identity,
      transport: core.transport,
      dialTimeoutMs: core.o.dialTimeoutMs,
      handshakeTimeoutMs: core.o.handshakeTimeoutMs,
      closing: core.closing,
      locate: (host, signal) => this.#locate(host, signal),
      log: core.log,
    });
    this.#peers = createPeerTable(core, {
      streams: this.#streams,
      frame: (p, raw) => this.#onFrame(p, raw),
      up: (p) => {
        this.#flooding.learned(p.name, p.inc);
        this.#flooding.sendFullDb(p.name);
        this.#flooding.peersChanged();
        this.emit('peer-up', p.name);
      },
      replaced: (p) => this.#flooding.sendFullDb(p.name),
      down: (p, reason, restarted) => {
        this.#requests.peerGone(p.name);
        if (restarted) {
          this.emit('peer-down', p.name, reason);
          return;
        }
        if (this.#closed) return;
        this.#flooding.peersChanged();
        this.emit('peer-down', p.name, reason);
        this.#discovery.kick();
      },
    });
    this.#flooding = createFlooding(core, this.#peers, {
      eager: () => this.#requests.waiting() || this.listenerCount('topology') > 0,
      routed: (routes) => {
        this.#requests.routed(routes);
        if (this.listenerCount('topology') > 0) {
          const sig = [...routes.adjacency].map(([k, v]) => `${k}:${v.join(',')}`).join(';');
          if (sig !== this.#lastTopology) {
            this.#lastTopology = sig;
            this.emit('topology', [...routes.nodes]);
          }
        }
      },
    });
    this.#requests = createRequests(core, this.#peers, this.#flooding);
    this.#discovery = createDiscovery(core, this.#peers, () => this.#flooding.db.size);
    this.handle(Locate, () => core.transport.addresses?.() ?? [core.transport.localAddress]);
  }

  async start(): Promise<void> {
    const t = this.#core.transport;
    await t.listen({
      link: (link) => {
        this.#peers
          .setup(link, 'acceptor', false)
          .catch((err: Error & { code?: string }) =>
            this.#core.log(
              'debug',
              `inbound link from ${link.remoteAddress} rejected: ${err.code ?? 'error'}: ${err.message}`,
            ),
          );
      },
      datagram: (data, from) => this.#discovery.datagram(data, from),
    });
    this.#heartbeat = setInterval(() => {
      const now = Date.now();
      this.#peers.tick(now);
      this.#flooding.collect(now);
    }, this.#core.o.heartbeatMs);
    this.#heartbeat.unref();
    this.#discovery.kick();
  }

  /** one frame from a peer: validated (unless built in-process), dispatched; abuse drops the peer */
  #onFrame(p: Peer, raw: unknown): void {
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
        why = this.#flooding.receive(p, f.e);
        break;
      case 'req':
        why = this.#requests.onReq(p, f);
        break;
      case 'res':
        why = this.#requests.onRes(p, f);
        break;
    }
    if (why) this.#abuse(p, why);
  }

  /** a peer broke the protocol's limits: drop the link and say so */
  #abuse(p: Peer, why: string): void {
    this.#core.log('warn', `disconnecting ${p.name} (${p.address}): ${why}`);
    p.link.close(`protocol violation: ${why}`);
  }

  /** where `host` listens, best first (for a direct stream connection) */
  async #locate(host: string, signal: AbortSignal | undefined): Promise<string[]> {
    const [row] = await this.send([host], Locate, null, {
      ...(signal ? { signal } : {}),
      timeout: this.#core.o.dialTimeoutMs,
    });
    if (!row) throw new UnknownHostError(host);
    if (!row.ok) throw row.error;
    const dialed = this.#peers.get(host)?.dialAddress;
    return [...new Set([...(dialed ? [dialed] : []), ...row.value])];
  }

  // ---- public API -------------------------------------------------------

  get address(): string {
    return this.#core.transport.localAddress;
  }

  get degree(): number {
    return this.#degree;
  }

  set degree(n: number) {
    this.#degree = checkDegree(n);
    this.#discovery.kick();
  }

  dial(address: string, opts: { signal?: AbortSignal } = {}): Promise<string> {
    return this.#peers.dial(address, opts.signal);
  }

  hangup(name: string): void {
    const p = this.#peers.get(name);
    if (!p) throw new NoSuchPeerError(name);
    p.link.close('hangup');
  }

  peers(): string[] {
    return this.#peers.names();
  }

  peerInfo(): PeerInfo[] {
    return this.#peers
      .list()
      .map((p) => ({ name: p.name, address: p.address, incarnation: p.inc }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  nodes(): string[] {
    return [...this.#flooding.routes().nodes];
  }

  size(): number {
    return this.#flooding.routes().size;
  }

  adjacency(): Map<string, string[]> {
    return new Map([...this.#flooding.routes().adjacency].map(([k, v]) => [k, [...v]]));
  }

  route(name: string): string | undefined {
    return this.#flooding.routes().nextHop.get(name);
  }

  handle<Req, Res>(kind: MessageKind<Req, Res>, handler: Handler<Req, Res>): () => void {
    return this.#requests.handle(kind, handler);
  }

  send<Req, Res>(
    hosts: readonly string[],
    kind: MessageKind<Req, Res>,
    body: Req,
    opts?: SendOptions,
  ): Promise<SendResult<Res>[]> {
    return this.#requests.send(hosts, kind, body, opts);
  }

  broadcast<Req, Res>(
    kind: MessageKind<Req, Res>,
    body: Req,
    opts?: SendOptions,
  ): Promise<SendResult<Res>[]> {
    return this.send(
      this.nodes().filter((n) => n !== this.name),
      kind,
      body,
      opts,
    );
  }

  openStream(host: string, protocol: string, opts?: { signal?: AbortSignal }): Promise<Duplex> {
    return this.#streams.open(host, protocol, opts);
  }

  handleStream(protocol: string, handler: StreamHandler): () => void {
    return this.#streams.handle(protocol, handler);
  }

  stats(): MeshStats {
    return { sent: { ...this.#stats.sent }, datagrams: this.#stats.datagrams };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing.abort();
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#flooding.close();
    this.#requests.abortAll();
    this.#peers.closeAll('mesh closed');
    await this.#core.transport.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
