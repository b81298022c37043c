// In-memory transport: many mesh nodes in one process, for tests and
// benchmarks. Frames are passed by reference (the mesh never mutates a frame
// it sent or received). Knobs: per-frame latency (+ jitter, order kept per
// direction), datagram loss, and silent partitions (frames black-holed
// without a close, as with a pulled cable).
import { DialError } from './errors.js';
import { BaseLink, type DialOptions, type Link, type Transport } from './transport.js';

export interface MemoryNetworkOptions {
  /** one-way delay of every frame and datagram, ms (default 0) */
  latencyMs?: number;
  /** extra random delay 0..jitterMs per frame, ms (default 0); per-link order is kept */
  jitterMs?: number;
  /** probability that a discovery datagram is lost, per receiver (default 0) */
  loss?: number;
  /** random source (tests pass a seeded one) */
  random?: () => number;
  /** validate frames as if they came off the wire (default false: frames are trusted objects) */
  validateFrames?: boolean;
}

interface Endpoint {
  address: string;
  onLink?: (link: Link) => void;
  onDatagram?: (data: Uint8Array, from: string) => void;
  links: Set<MemoryLink>;
}

export interface MemoryNetwork {
  /** a transport on this network; `address` defaults to mem-<n> */
  createTransport(address?: string): Transport;
  /** silently drop every frame between a and b (both directions), links stay "up" */
  partition(a: string, b: string): void;
  /** undo partition(a, b) */
  heal(a: string, b: string): void;
  /** black-hole all traffic to and from `address` */
  isolate(address: string): void;
  /** undo every partition and isolation */
  healAll(): void;
  /** addresses currently listening */
  addresses(): string[];
}

class MemoryLink extends BaseLink {
  peer: MemoryLink | undefined;
  #queue: { at: number; frame: unknown }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;

  constructor(
    readonly localAddress: string,
    readonly remoteAddress: string,
    private readonly net: NetState,
    private readonly onGone: (l: MemoryLink) => void,
  ) {
    super();
  }

  protected write(frame: unknown): void {
    if (this.net.blocked(this.localAddress, this.remoteAddress)) return;
    const peer = this.peer;
    if (!peer) return;
    peer.enqueue(frame, this.net.delay());
  }

  enqueue(frame: unknown, delay: number): void {
    const last = this.#queue[this.#queue.length - 1];
    const at = Math.max(Date.now() + delay, last?.at ?? 0);
    this.#queue.push({ at, frame });
    this.#arm();
  }

  #arm(): void {
    if (this.#timer || this.#immediate) return;
    const head = this.#queue[0];
    if (!head) return;
    const wait = head.at - Date.now();
    if (wait <= 0) this.#immediate = setImmediate(() => this.#flush());
    else this.#timer = setTimeout(() => this.#flush(), wait);
  }

  #flush(): void {
    this.#timer = undefined;
    this.#immediate = undefined;
    const now = Date.now();
    while (this.#queue.length && (this.#queue[0]?.at ?? 0) <= now && !this.closed) {
      const item = this.#queue.shift();
      if (item) this.deliver(item.frame);
    }
    if (!this.closed) this.#arm();
  }

  protected teardown(): void {
    this.remoteGone('connection closed by peer');
  }

  /** close both ends: the remote sees a close after the link latency */
  remoteGone(reason: string): void {
    const peer = this.peer;
    this.peer = undefined;
    this.#queue = [];
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#immediate) clearImmediate(this.#immediate);
    this.onGone(this);
    if (peer) {
      peer.peer = undefined;
      setTimeout(() => peer.closeFromRemote(reason), this.net.delay());
    }
  }

  closeFromRemote(reason: string): void {
    // deliver what is already queued first, as TCP would before the FIN
    const queued = this.#queue;
    this.#queue = [];
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#immediate) clearImmediate(this.#immediate);
    for (const q of queued) this.deliver(q.frame);
    this.onGone(this);
    this.onClosed(reason);
  }
}

interface NetState {
  blocked(a: string, b: string): boolean;
  delay(): number;
}

export function createMemoryNetwork(opts: MemoryNetworkOptions = {}): MemoryNetwork {
  const random = opts.random ?? Math.random;
  const latency = opts.latencyMs ?? 0;
  const jitter = opts.jitterMs ?? 0;
  const loss = opts.loss ?? 0;
  const endpoints = new Map<string, Endpoint>();
  const cuts = new Set<string>();
  const isolated = new Set<string>();
  let counter = 0;

  const key = (a: string, b: string) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);
  const state: NetState = {
    blocked: (a, b) => isolated.has(a) || isolated.has(b) || cuts.has(key(a, b)),
    delay: () => latency + (jitter ? random() * jitter : 0),
  };

  const network: MemoryNetwork = {
    createTransport(address = `mem-${++counter}`): Transport {
      const ep: Endpoint = { address, links: new Set() };
      let closed = false;
      const transport: Transport = {
        localAddress: address,
        addresses: () => [address],
        trusted: !opts.validateFrames,
        async listen(handlers) {
          if (endpoints.has(address)) throw new DialError(address, 'address already in use');
          ep.onLink = handlers.link;
          ep.onDatagram = handlers.datagram;
          endpoints.set(address, ep);
        },
        async dial(target: string, dialOpts: DialOptions = {}) {
          if (closed) throw new DialError(target, 'transport closed');
          if (dialOpts.signal?.aborted) throw new DialError(target, 'aborted');
          const remote = endpoints.get(target);
          if (!remote?.onLink) throw new DialError(target, 'connection refused');
          if (state.blocked(address, target)) throw new DialError(target, 'i/o timeout');
          const d = state.delay();
          if (d > 0) await new Promise((r) => setTimeout(r, d));
          if (!endpoints.has(target)) throw new DialError(target, 'connection refused');
          const mine = new MemoryLink(address, target, state, (l) => ep.links.delete(l));
          const theirs = new MemoryLink(target, address, state, (l) => remote.links.delete(l));
          mine.peer = theirs;
          theirs.peer = mine;
          ep.links.add(mine);
          remote.links.add(theirs);
          remote.onLink(theirs);
          return mine;
        },
        async broadcast(data) {
          if (closed) return ['transport closed'];
          // one read-only buffer for every receiver (they may cache its decoding),
          // and one timer for the whole broadcast: a 1,000-node domain stays cheap
          const shared = new Uint8Array(data);
          const receivers = [...endpoints.values()].filter(
            (other) => !state.blocked(address, other.address) && !(loss > 0 && random() < loss),
          );
          const deliverAll = () => {
            for (const other of receivers) {
              if (endpoints.get(other.address) === other) other.onDatagram?.(shared, address);
            }
          };
          const d = state.delay();
          if (d > 0) setTimeout(deliverAll, d);
          else setImmediate(deliverAll);
          return [];
        },
        async close() {
          if (closed) return;
          closed = true;
          if (endpoints.get(address) === ep) endpoints.delete(address);
          for (const l of [...ep.links]) l.close('transport closed');
        },
        async [Symbol.asyncDispose]() {
          await transport.close();
        },
      };
      return transport;
    },
    partition(a, b) {
      cuts.add(key(a, b));
    },
    heal(a, b) {
      cuts.delete(key(a, b));
    },
    isolate(address) {
      isolated.add(address);
    },
    healAll() {
      cuts.clear();
      isolated.clear();
    },
    addresses: () => [...endpoints.keys()],
  };
  return network;
}
