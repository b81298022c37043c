// Wire format: every value that crosses a link or arrives as a datagram is
// validated here with zod before the mesh looks at it. Frames are plain
// objects (msgpackr-encoded on TCP); `t` says which one.
import { z } from 'zod';
import { nodeName } from './names.js';

/**
 * Bumped on any incompatible change of the frames below or of the sealed
 * record (3: Noise AESGCM instead of ChaChaPoly; 4: a sealed record may
 * carry several frames, channel.ts), so mixed versions refuse each other
 * with a clear error instead of failing authentication or decoding.
 */
export const PROTOCOL_VERSION = 4;

const name = nodeName;
const bytes = z.instanceof(Uint8Array);

/**
 * Handshake message 1, dialer to acceptor (see handshake.ts). `k`: the
 * dialer has a mesh key (then `e` is its ephemeral key and `p` the sealed
 * payload); without keys `p` is the plain encoded payload.
 */
export const hs1Frame = z.object({
  t: z.literal('hs1'),
  v: z.number().int(),
  k: z.boolean(),
  e: bytes.optional(),
  p: bytes,
});
/** Handshake message 2, acceptor to dialer; `refuse` (no payload) when it cannot even read message 1. */
export const hs2Frame = z.object({
  t: z.literal('hs2'),
  v: z.number().int(),
  k: z.boolean(),
  e: bytes.optional(),
  p: bytes.optional(),
  refuse: z.enum(['version', 'key', 'auth']).optional(),
});

/** what the dialer says about itself and why it dialed (sealed in hs1) */
export const dialerHello = z.object({
  name,
  inc: z.number(),
  version: z.string().max(255),
  nonce: bytes,
  purpose: z.enum(['peer', 'stream']),
  /** stream protocol (purpose 'stream') */
  proto: z.string().min(1).max(64).optional(),
  /** the node the dialer means to reach (streams): any other refuses */
  to: name.optional(),
  /** keyed stream: the dialer can carry it over TLS under a key from this handshake */
  tls: z.boolean().optional(),
});
export type DialerHello = z.infer<typeof dialerHello>;

/** what the acceptor says (sealed in hs2); ok false: refused, code and msg say why */
export const acceptorHello = z.object({
  name,
  inc: z.number(),
  version: z.string().max(255),
  soliciting: z.boolean(),
  ok: z.boolean(),
  code: z.string().max(64).optional(),
  msg: z.string().max(1024).optional(),
  /** the acceptor takes the dialer's TLS offer: TLS follows instead of `ready` */
  tls: z.boolean().optional(),
});
export type AcceptorHello = z.infer<typeof acceptorHello>;

export const lsaEntry = z.object({
  /** origin node */
  o: name,
  /** origin incarnation */
  i: z.number(),
  /** sequence number within the incarnation */
  s: z.number().int(),
  /** the origin's direct peers, sorted */
  p: z.array(name),
  /**
   * the incarnation of each peer in `p` (same order): a receiver holding an
   * older incarnation's announcement of that peer drops it, so links of a
   * node's previous life never make it look reachable (absent: not known)
   */
  pi: z.array(z.number()).optional(),
});
export type LsaEntry = z.infer<typeof lsaEntry>;

export const meshFrame = z.discriminatedUnion('t', [
  z.object({ t: z.literal('ping') }),
  z.object({ t: z.literal('lsa'), e: z.array(lsaEntry) }),
  z.object({
    t: z.literal('req'),
    id: z.number().int(),
    src: name,
    inc: z.number(),
    to: z.array(name).min(1),
    /** per destination, the hops chosen by the source (source routing: replies retrace them) */
    paths: z.record(z.string(), z.array(name)).optional(),
    kind: z.string().min(1).max(255),
    ttl: z.number().int(),
    body: z.unknown(),
  }),
  z.object({
    t: z.literal('res'),
    re: z.number().int(),
    inc: z.number(),
    src: name,
    dst: name,
    ttl: z.number().int(),
    /** hops from the responder back to the requester */
    path: z.array(name).optional(),
    ok: z.boolean(),
    body: z.unknown(),
    code: z.string().optional(),
    msg: z.string().optional(),
  }),
]);
export type MeshFrame = z.infer<typeof meshFrame>;
export type ReqFrame = Extract<MeshFrame, { t: 'req' }>;
export type ResFrame = Extract<MeshFrame, { t: 'res' }>;

/** Discovery datagram ("solicitation"): the encoded body and, with a key, its MAC. */
export const solicitation = z.object({
  m: z.literal('meshage'),
  v: z.number().int(),
  b: bytes,
  mac: bytes.optional(),
});
export type Solicitation = z.infer<typeof solicitation>;

export const solicitationBody = z.object({
  ctx: z.string().max(255),
  name,
  /** how many more peers the sender wants */
  want: z.number().int().min(0).max(1_000_000),
  /** where the sender can be dialed: a receiver dials the datagram's source only if listed */
  addrs: z.array(z.string().max(300)).max(32),
  /** sender's clock, ms: outside the window, or not newer than the last one heard from it, is dropped */
  ts: z.number(),
});
export type SolicitationBody = z.infer<typeof solicitationBody>;

/** Hops a message may take before it is dropped (loop guard). */
export const DEFAULT_TTL = 32;
