// The client's reply decoder (client/utf8-text.ts): whatever the chunking, it
// yields what TextDecoder yields for the whole stream.
import { describe, expect, it } from 'vitest';
import { completeUtf8Length, Utf8Text } from '../../src/client/utf8-text.js';

const TEXT = '{"Response":"hé → 中文 😀 ok"}\n{"Rendered":"ß"}\n';
const BYTES = new TextEncoder().encode(TEXT);

function decodeInChunks(bytes: Uint8Array, cuts: number[]): string {
  const t = new Utf8Text();
  let out = '';
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    out += t.push(bytes.subarray(from, cut));
    from = cut;
  }
  return out;
}

describe('Utf8Text', () => {
  it('decodes a stream cut at every byte position like TextDecoder', () => {
    for (let cut = 0; cut <= BYTES.length; cut++)
      expect(decodeInChunks(BYTES, [cut]), `cut at ${cut}`).toBe(TEXT);
  });

  it('decodes a stream fed one byte at a time', () => {
    expect(
      decodeInChunks(
        BYTES,
        Array.from({ length: BYTES.length - 1 }, (_, i) => i + 1),
      ),
    ).toBe(TEXT);
  });

  it('holds back only an unfinished character', () => {
    const euro = new TextEncoder().encode('€'); // 3 bytes
    expect(completeUtf8Length(euro)).toBe(3);
    expect(completeUtf8Length(euro.subarray(0, 2))).toBe(0);
    expect(completeUtf8Length(new Uint8Array([0x61, 0xf0, 0x9f]))).toBe(1);
    expect(completeUtf8Length(new Uint8Array([0x61, 0x62]))).toBe(2);
    // stray continuation bytes are invalid, not unfinished: decoded as they are
    expect(completeUtf8Length(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80]))).toBe(5);
  });
});
