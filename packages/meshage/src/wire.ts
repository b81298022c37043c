// Wire format: every value that crosses a link or arrives as a datagram is
// validated here with zod before the mesh looks at it. Frames are plain
// objects (msgpackr-encoded on TCP); `t` says which one.
import { z } from 'zod';

/** Bumped on any incompatible change of the frames below. */
export const PROTOCOL_VERSION = 1;

const name = z.string().min(1).max(255);
const bytes = z.instanceof(Uint8Array);

export const helloFrame = z.object({
  t: z.literal('hello'),
  proto: z.number().int(),
  name,
  inc: z.number(),
  version: z.string().max(255),
  soliciting: z.boolean(),
  auth: z.boolean(),
  nonce: bytes,
});
export type HelloFrame = z.infer<typeof helloFrame>;

export const readyFrame = z.object({ t: z.literal('ready'), mac: bytes.optional() });
export type ReadyFrame = z.infer<typeof readyFrame>;

export const lsaEntry = z.object({
  /** origin node */
  o: name,
  /** origin incarnation */
  i: z.number(),
  /** sequence number within the incarnation */
  s: z.number().int(),
  /** the origin's direct peers, sorted */
  p: z.array(name),
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

/** Discovery datagram ("solicitation"), MAC'd when the mesh has a key. */
export const solicitation = z.object({
  m: z.literal('meshage'),
  v: z.number().int(),
  ctx: z.string().max(255),
  name,
  /** how many more peers the sender wants */
  want: z.number().int().min(0),
  mac: bytes.optional(),
});
export type Solicitation = z.infer<typeof solicitation>;

/** Hops a message may take before it is dropped (loop guard). */
export const DEFAULT_TTL = 32;
