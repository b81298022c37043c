// Discovery by UDP broadcast: while it has fewer peers than its degree a
// node broadcasts solicitations (randomised doubling back-off); listeners
// of the same context answer by dialing the datagram's source. With a mesh
// key a solicitation carries an HMAC over everything acted on (context,
// name, wanted peers, the sender's addresses, a timestamp): a receiver
// dials only a signed source address, only for a fresh solicitation newer
// than the last one from that name, so a replay makes nobody dial anywhere.
import { datagramMac, macEqual } from './auth.js';
import { decode, encode } from './codec.js';
import { type Core, sleep } from './core.js';
import type { PeerTable } from './peers.js';
import {
  type Solicitation,
  type SolicitationBody,
  solicitation,
  solicitationBody,
} from './wire.js';

const DISCOVERY_VERSION = 2;
/** a solicitation's timestamp must be within this of the receiver's clock */
const SOLICITATION_WINDOW_MS = 5 * 60_000;

export interface Discovery {
  /** (re)start soliciting if below the degree */
  kick(): void;
  /** a datagram arrived; `from` is its dialable source */
  datagram(data: Uint8Array, from: string): void;
}

export function createDiscovery(
  core: Core,
  peers: PeerTable,
  /** nodes in the topology (estimates the broadcast domain) */
  knownNodes: () => number,
): Discovery {
  const dialing = new Set<string>();
  /** solicitors heard recently (estimates the broadcast domain's size) */
  const heard = new Map<string, number>();
  /** newest solicitation timestamp heard per name (replays are not newer) */
  const lastTs = new Map<string, number>();
  let heardPruned = 0;
  let solicitedDials = 0;
  let soliciting = false;
  let again = false;

  function message(): Uint8Array {
    const b = encode({
      ctx: core.context,
      name: core.name,
      want: Math.max(0, core.degree() - peers.size),
      addrs: core.transport.addresses?.() ?? [core.transport.localAddress],
      ts: Date.now(),
    } satisfies SolicitationBody);
    return encode({
      m: 'meshage',
      v: DISCOVERY_VERSION,
      b,
      ...(core.key ? { mac: datagramMac(core.key, b) } : {}),
    });
  }

  async function loop(): Promise<void> {
    let window = core.o.solicitMinMs;
    while (!core.closed() && peers.size < core.degree()) {
      again = false;
      try {
        const errors = await core.transport.broadcast(message());
        core.stats.datagrams++;
        for (const e of errors) core.log('warn', `solicitation: ${e}`);
      } catch (err) {
        // never stop soliciting because one send failed
        core.log('warn', `solicitation: ${err instanceof Error ? err.message : err}`);
      }
      await sleep(core.random() * window, core.closing);
      window = Math.min(window * 2, core.o.solicitMaxMs);
    }
  }

  function kick(): void {
    if (core.closed() || core.degree() === 0) return;
    if (soliciting) {
      again = true;
      return;
    }
    soliciting = true;
    void loop().finally(() => {
      soliciting = false;
      if (again) {
        again = false;
        kick();
      }
    });
  }

  /** (2·want + 2) / (nodes we know of): ~1 in small meshes, a few offers in big ones */
  function answerProbability(want: number, now: number): number {
    if (now - heardPruned > 1000) {
      for (const [n, t] of heard) if (now - t > 10_000) heard.delete(n);
      for (const [n, t] of lastTs) if (now - t > SOLICITATION_WINDOW_MS) lastTs.delete(n);
      heardPruned = now;
    }
    const domain = Math.max(heard.size, knownNodes());
    return Math.min(1, (2 * Math.max(want, 1) + 2) / Math.max(domain, 1));
  }

  async function solicitedDial(address: string): Promise<void> {
    try {
      const link = await core.transport.dial(address, {
        signal: core.closing,
        timeoutMs: core.o.dialTimeoutMs,
      });
      await peers.setup(link, 'dialer', true, address);
    } catch (err) {
      core.log('debug', `solicited dial ${address}: ${err instanceof Error ? err.message : err}`);
    }
  }

  return {
    kick,
    datagram(data, from) {
      if (core.closed()) return;
      const d = parseSolicitation(data);
      if (!d || d.v !== DISCOVERY_VERSION) return;
      if (core.key ? !macEqual(d.mac, datagramMac(core.key, d.b)) : d.mac !== undefined) {
        core.log('debug', `ignoring solicitation from ${from}: wrong or missing mesh key`);
        return;
      }
      const s = parseBody(d.b);
      if (!s || s.ctx !== core.context || s.name === core.name) return;
      const now = Date.now();
      // freshness: a recorded solicitation replayed later (or again) is ignored
      if (Math.abs(now - s.ts) > SOLICITATION_WINDOW_MS) {
        core.log('warn', `ignoring solicitation from ${s.name}: its clock is ${now - s.ts} ms off`);
        return;
      }
      const last = lastTs.get(s.name);
      if (last !== undefined && s.ts <= last) return;
      lastTs.set(s.name, s.ts);
      // only dial where the (authenticated) sender says it listens
      if (!s.addrs.includes(from)) {
        core.log(
          'debug',
          `ignoring solicitation from ${s.name}: sent from ${from}, not its own address`,
        );
        return;
      }
      heard.set(s.name, now);
      if (peers.has(s.name) || dialing.has(s.name)) return;
      if (peers.size > 16 && Math.floor(core.random() * 8) !== 0) return;
      // In a big broadcast domain every node hears every solicitation: answer
      // with a probability that gives the solicitor a few offers, not hundreds.
      if (core.random() >= answerProbability(s.want, now)) return;
      if (solicitedDials >= core.o.maxSolicitedDials) return;
      solicitedDials++;
      dialing.add(s.name);
      void solicitedDial(from).finally(() => {
        solicitedDials--;
        dialing.delete(s.name);
      });
    },
  };
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

function parseBody(b: Uint8Array): SolicitationBody | undefined {
  try {
    const parsed = solicitationBody.safeParse(decode(b));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
