// On-wire design. Control messages are typed mesh requests (validated with
// zod on arrival); part data goes on `iomesh/1` byte streams, one request at a
// time per stream: a length-prefixed JSON header, then raw part bytes.
import type { Duplex } from 'node:stream';
import { defineKind } from '@mm/meshage';
import { z } from 'zod';
import { BadPartError } from './errors.js';
import type { StreamReader } from './stream-reader.js';

export const STREAM_PROTOCOL = 'iomesh/1';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const relName = z.string().max(4096);

export const EntrySchema = z.object({
  name: relName,
  dir: z.boolean(),
  size: z.number().int().nonnegative(),
  mtimeMs: z.number(),
  mode: z.number().int().min(0).max(0o7777),
});
export type WireEntry = z.infer<typeof EntrySchema>;

export const ManifestSchema = z.object({
  size: z.number().int().nonnegative(),
  partSize: z.number().int().positive(),
  parts: z.array(hex64),
  hash: hex64,
});

/** INFO: what matches a pattern on the receiving node (files and directories, recursive). */
export const InfoKind = defineKind('iomesh.info', {
  request: z.object({ pattern: relName }),
  response: z.object({ entries: z.array(EntrySchema) }),
});

const HaveSchema = z.object({
  hash: hex64,
  /** every part is here (a complete file) */
  complete: z.boolean(),
  /** the verified parts when not complete */
  done: z.array(z.number().int().nonnegative()),
  /** uploads this node is serving right now (lets requesters spread their load) */
  load: z.number().int().nonnegative(),
});
export type Have = z.infer<typeof HaveSchema>;

/** MANIFEST: a node's version of one file, and the version it is receiving, if any. */
export const ManifestKind = defineKind('iomesh.manifest', {
  request: z.object({ name: relName }),
  response: z.object({
    file: z
      .object({ mtimeMs: z.number(), mode: z.number().int(), manifest: ManifestSchema })
      .nullable(),
    receiving: HaveSchema.nullable(),
  }),
});

/** HAVE: which parts of content `hash` a node can serve (complete file or in-progress transfer). */
export const HaveKind = defineKind('iomesh.have', {
  request: z.object({ hash: hex64 }),
  response: HaveSchema.nullable(),
});

export const PartRequest = z.object({ hash: hex64, index: z.number().int().nonnegative() });
export const PartResponse = z.union([
  z.object({ ok: z.literal(true), length: z.number().int().nonnegative() }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);

const MAX_HEADER = 64 * 1024;

/**
 * write `len(4, BE) JSON` and optionally a payload; resolves once the stream
 * took the bytes (its write callback: the payload buffer may then be reused)
 */
export function writeFrame(
  s: Duplex,
  header: unknown,
  payload?: Uint8Array | readonly Uint8Array[],
): Promise<void> {
  const json = Buffer.from(JSON.stringify(header));
  const head = Buffer.allocUnsafe(4 + json.length);
  head.writeUInt32BE(json.length, 0);
  json.copy(head, 4);
  const pieces = (payload instanceof Uint8Array ? [payload] : (payload ?? [])).filter(
    (p) => p.length > 0,
  );
  return new Promise<void>((resolve, reject) => {
    const done = (e?: Error | null) => (e ? reject(e) : resolve());
    if (pieces.length === 0) {
      s.write(head, done);
      return;
    }
    s.write(head);
    // each piece its own write: whole frames as they are, no joining copy
    pieces.forEach((p, i) => {
      if (i === pieces.length - 1) s.write(p, done);
      else s.write(p);
    });
  });
}

/** read one JSON header; undefined at a clean end of stream */
export async function readHeader(r: StreamReader): Promise<unknown | undefined> {
  const len = await r.read(4, true);
  if (!len) return undefined;
  const n = len.readUInt32BE(0);
  if (n > MAX_HEADER) throw new BadPartError(`header of ${n} bytes is too large`);
  const body = await r.read(n);
  try {
    return JSON.parse(body!.toString('utf8'));
  } catch {
    throw new BadPartError('malformed header');
  }
}
