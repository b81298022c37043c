// msgpackr codec shared by the TCP framing and discovery datagrams. Records
// (shared structures) are off so every frame decodes on its own.
import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

export function encode(value: unknown): Buffer {
  return packr.pack(value);
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
