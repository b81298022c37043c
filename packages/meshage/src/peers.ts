// The peer table: links that finished the handshake, keyed by peer name.
// It runs the handshake on every new link (handshake.ts), settles duplicate
// links (crossing dials, restarted peers), pings idle links and drops silent
// ones, and redials links it dialed that went silent. What a peer coming or
// going means for topology and requests is the composer's business (hooks).
import type { ChannelLink } from './channel.js';
import { type Core, type OutFrame, sleep } from './core.js';
import {
  AlreadyConnectedError,
  DialSelfError,
  HandshakeError,
  MeshClosedError,
  type MeshError,
} from './errors.js';
import { initiate, respond } from './handshake.js';
import type { Streams } from './streams.js';
import type { Link } from './transport.js';

export interface Peer {
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
  /** announcement entries this peer may still send (token bucket, see flooding.ts) */
  lsaBudget: number;
  lsaRefilled: number;
}

export interface PeerHooks {
  streams: Pick<Streams, 'admit' | 'accepted'>;
  frame(p: Peer, raw: unknown): void;
  /** a new peer (not a replacement of a live duplicate) */
  up(p: Peer): void;
  /** a duplicate link replaced the peer's link */
  replaced(p: Peer): void;
  /** the peer is gone; `restarted`: a new incarnation replaces it at once */
  down(p: Peer, reason: string, restarted: boolean): void;
}

export interface PeerTable {
  get(name: string): Peer | undefined;
  has(name: string): boolean;
  readonly size: number;
  /** names, sorted */
  names(): string[];
  list(): Peer[];
  /** send on a peer's link; false when it is gone */
  sendTo(name: string, frame: OutFrame): boolean;
  /** handshake a fresh link; resolves with the peer name, undefined when declined quietly */
  setup(
    link: Link,
    role: 'dialer' | 'acceptor',
    solicited: boolean,
    dialAddress?: string,
  ): Promise<string | undefined>;
  /** manual dial by address */
  dial(address: string, signal?: AbortSignal): Promise<string>;
  /** heartbeat: ping idle links, drop silent ones */
  tick(now: number): void;
  closeAll(reason: string): void;
}

/** inbound handshakes in progress at once (each holds a socket and a timer until it ends) */
const MAX_PENDING_HANDSHAKES = 256;

export function createPeerTable(core: Core, hooks: PeerHooks): PeerTable {
  const peers = new Map<string, Peer>();
  let handshaking = 0;
  const redialing = new Set<string>();
  /** acceptor-side handshakes that were told "soliciting" (reserve a slot) */
  let reserved = 0;

  function send(link: Link, frame: OutFrame): boolean {
    try {
      link.send(frame);
      core.stats.sent[frame.t]++;
      return true;
    } catch {
      return false;
    }
  }

  function sendTo(name: string, frame: OutFrame): boolean {
    const p = peers.get(name);
    if (!p) return false;
    const ok = send(p.link, frame);
    if (ok) p.lastSent = Date.now();
    return ok;
  }

  /** Add a handshaken peer, resolving duplicates; returns an error when the new link loses. */
  function register(p: Peer): MeshError | undefined {
    if (core.closed()) return new MeshClosedError();
    const existing = peers.get(p.name);
    if (existing) {
      if (p.inc < existing.inc) return new HandshakeError(`stale incarnation of ${p.name}`);
      if (p.inc === existing.inc) {
        // two links between the same pair (simultaneous dials): both ends keep the same one
        if (existing.key <= p.key) return new AlreadyConnectedError(p.name);
        peers.set(p.name, p);
        existing.link.close('replaced by a duplicate link');
        hooks.replaced(p);
        return undefined;
      }
      // the peer restarted: the old link is dead even if it has not noticed yet
      peers.delete(p.name);
      existing.link.close('peer restarted');
      hooks.down(existing, 'peer restarted', true);
    }
    peers.set(p.name, p);
    core.log('info', `peer up: ${p.name} (${p.address})`);
    hooks.up(p);
    return undefined;
  }

  function onLinkClosed(p: Peer, reason: string): void {
    if (peers.get(p.name) !== p) return;
    peers.delete(p.name);
    core.log('info', `peer down: ${p.name}: ${reason}`);
    hooks.down(p, reason, false);
    if (core.closed()) return;
    if (p.silent && p.dialAddress) void redial(p.name, p.dialAddress);
  }

  /**
   * A link we dialed went silent (cable pulled, partition): keep redialing
   * it with back-off for a while, so partitions heal even when both sides
   * found enough peers meanwhile and stopped soliciting.
   */
  async function redial(name: string, address: string): Promise<void> {
    if (redialing.has(name)) return;
    redialing.add(name);
    try {
      const giveUp = Date.now() + core.o.redialForMs;
      for (
        let wait = core.o.heartbeatMs * 2;
        Date.now() < giveUp;
        wait = Math.min(wait * 2, 30_000)
      ) {
        await sleep(wait * (0.5 + core.random() / 2), core.closing);
        if (core.closed() || peers.has(name)) return;
        try {
          await table.dial(address);
          return;
        } catch (err) {
          if ((err as MeshError).code === 'ERR_MESH_ALREADY_CONNECTED') return;
        }
      }
    } finally {
      redialing.delete(name);
    }
  }

  async function setup(
    raw: Link,
    role: 'dialer' | 'acceptor',
    solicited: boolean,
    dialAddress?: string,
  ): Promise<string | undefined> {
    core.stats.sent.hello++;
    const timeoutMs = core.o.handshakeTimeoutMs;
    let hello: { name: string; inc: number; version: string };
    let link: ChannelLink;
    let dialerNonce: Uint8Array;
    if (role === 'acceptor') {
      if (handshaking >= MAX_PENDING_HANDSHAKES) {
        raw.close('too many handshakes in progress');
        throw new HandshakeError(`refused ${raw.remoteAddress}: too many handshakes in progress`);
      }
      handshaking++;
      let mine = false;
      try {
        const r = await respond(raw, core.identity, {
          timeoutMs,
          admit: (h) => {
            if (h.purpose === 'stream') return hooks.streams.admit(h);
            if (core.closed()) return { ok: false, error: new MeshClosedError() };
            // a slot is reserved for a dialer told "soliciting" until its handshake ends
            const soliciting = peers.size + reserved < core.degree();
            if (soliciting) {
              reserved++;
              mine = true;
            }
            return { ok: true, soliciting };
          },
        });
        if (r.hello.purpose === 'stream') {
          hooks.streams.accepted(r.link, r.hello);
          return undefined;
        }
        hello = r.hello;
        link = r.link;
        dialerNonce = r.hello.nonce;
      } finally {
        handshaking--;
        if (mine) reserved--;
      }
    } else {
      const r = await initiate(
        raw,
        core.identity,
        { purpose: 'peer' },
        {
          timeoutMs,
          decide: (h, nonce) => {
            if (solicited && !h.soliciting) return 'decline';
            const existing = peers.get(h.name);
            if (existing && existing.inc === h.inc) {
              // a second link we dial ourselves always loses; a crossing dial is settled by key
              const ours = `${core.name < h.name ? 0 : 1}:${Buffer.from(nonce).toString('hex')}`;
              if (existing.dialer === core.name || existing.key <= ours) {
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
    core.stats.sent.ready++;
    if (hello.version !== core.version) {
      core.log('warn', `version mismatch with ${hello.name}: ${hello.version}`);
    }
    const dialer = role === 'dialer' ? core.name : hello.name;
    const other = role === 'dialer' ? hello.name : core.name;
    const now = Date.now();
    const peer: Peer = {
      name: hello.name,
      inc: hello.inc,
      link,
      address: link.remoteAddress,
      key: `${dialer < other ? 0 : 1}:${Buffer.from(dialerNonce).toString('hex')}`,
      dialer,
      trusted: core.transport.trusted === true && !link.encrypted,
      ...(dialAddress ? { dialAddress } : {}),
      lastRecv: now,
      lastSent: now,
      // a new link gets the whole database at once: start with a full bucket
      lsaBudget: 2 * core.o.maxNodes,
      lsaRefilled: now,
    };
    const err = register(peer);
    if (err) {
      link.close(err.message);
      throw err;
    }
    link.attach({
      frame: (f) => {
        peer.lastRecv = Date.now();
        hooks.frame(peer, f);
      },
      close: (reason) => onLinkClosed(peer, reason),
    });
    return hello.name;
  }

  const table: PeerTable = {
    get: (name) => peers.get(name),
    has: (name) => peers.has(name),
    get size() {
      return peers.size;
    },
    names: () => [...peers.keys()].sort(),
    list: () => [...peers.values()],
    sendTo,
    setup,
    async dial(address, signal) {
      if (core.closed()) throw new MeshClosedError();
      if (address === core.name) throw new DialSelfError();
      if (peers.has(address)) throw new AlreadyConnectedError(address);
      const link = await core.transport.dial(address, {
        ...(signal ? { signal } : {}),
        timeoutMs: core.o.dialTimeoutMs,
      });
      const name = await setup(link, 'dialer', false, address);
      return name ?? address;
    },
    tick(now) {
      for (const p of [...peers.values()]) {
        if (now - p.lastRecv > core.o.deadAfterMs) {
          p.silent = true;
          p.link.close(`no traffic for ${now - p.lastRecv} ms`);
        } else if (now - p.lastSent >= core.o.heartbeatMs * 0.8) {
          sendTo(p.name, { t: 'ping' });
        }
      }
    },
    closeAll(reason) {
      for (const p of peers.values()) p.link.close(reason);
    },
  };
  return table;
}
