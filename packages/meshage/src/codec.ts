// msgpackr codec shared by the TCP framing and discovery datagrams. Records
// (shared structures) are off so every frame decodes on its own.
import { Packr, RESERVE_START_SPACE } from 'msgpackr';

const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

export function encode(value: unknown): Buffer {
  return packr.pack(value);
}

/**
 * `value` encoded after `reserve` (< 256) bytes left free at the front: the
 * caller writes a header there and sends header and encoding as one buffer
 * (no joining copy of the encoding into a fresh buffer)
 */
export function encodeAfter(value: unknown, reserve: number): Buffer {
  return packr.pack(value, RESERVE_START_SPACE | reserve);
}

/** Throws on malformed input; callers treat that as a bad frame. */
export function decode(buf: Uint8Array): unknown {
  return packr.unpack(buf);
}

/** every value of a buffer of back-to-back encodings (a coalesced sealed record); throws on malformed input */
export function decodeMultiple(buf: Uint8Array): unknown[] {
  const values = packr.unpackMultiple(buf);
  if (values.length === 0) throw new Error('empty record');
  return values;
}
