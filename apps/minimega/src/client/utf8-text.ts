// Text of a byte stream, decoded at UTF-8 character boundaries by Buffer's
// C++ decoder: the daemon's replies as `minimega -e` reads them. TextDecoder
// would do the same, but it makes `-e` compile Node's encoding module at
// every start (~2 KB of Node's JavaScript, ~0.5 M instructions).

/** Length of the longest prefix of `b` that does not end inside a UTF-8 character. */
export function completeUtf8Length(b: Uint8Array): number {
  // back over at most 3 continuation bytes (10xxxxxx) to the character's first byte
  for (let i = b.length - 1; i >= 0 && i >= b.length - 4; i--) {
    const c = b[i]!;
    if (c < 0x80) return b.length;
    if (c >= 0xc0) {
      const size = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
      return b.length - i < size ? i : b.length;
    }
  }
  // only continuation bytes: invalid whatever follows, decoded as it is
  return b.length;
}

/** Decodes chunks of a UTF-8 stream, holding back a character split between chunks. */
export class Utf8Text {
  private held: Uint8Array | undefined;

  push(chunk: Uint8Array): string {
    let b = chunk;
    if (this.held) {
      b = new Uint8Array(this.held.length + chunk.length);
      b.set(this.held);
      b.set(chunk, this.held.length);
      this.held = undefined;
    }
    const end = completeUtf8Length(b);
    if (end < b.length) this.held = b.slice(end);
    return Buffer.from(b.buffer, b.byteOffset, end).toString();
  }
}
