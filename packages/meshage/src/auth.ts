// Optional mesh key. With a key, the handshake proves that both sides hold
// it (HMAC-SHA256 over both names and both per-connection random nonces, so
// a recorded handshake cannot be replayed), and discovery datagrams carry a
// MAC so keyless nodes' solicitations are ignored.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { InvalidOptionError } from './errors.js';

export function handshakeMac(
  key: Uint8Array,
  from: string,
  to: string,
  fromNonce: Uint8Array,
  toNonce: Uint8Array,
): Buffer {
  const h = createHmac('sha256', key);
  h.update(`meshage-handshake-v1\u0000${from}\u0000${to}\u0000`);
  h.update(fromNonce);
  h.update(toNonce);
  return h.digest();
}

export function datagramMac(key: Uint8Array, payload: Uint8Array): Buffer {
  return createHmac('sha256', key).update('meshage-datagram-v1\u0000').update(payload).digest();
}

export function macEqual(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Read a mesh key file (`-meshkey FILE`): its contents with surrounding
 * whitespace trimmed, at least 16 bytes, used as the HMAC key.
 */
export async function readMeshKey(file: string): Promise<Buffer> {
  let text: Buffer;
  try {
    text = await readFile(file);
  } catch (err) {
    throw new InvalidOptionError(
      `cannot read mesh key ${file}: ${err instanceof Error ? err.message : err}`,
    );
  }
  const key = Buffer.from(text.toString('utf8').trim(), 'utf8');
  if (key.length < 16) {
    throw new InvalidOptionError(`mesh key ${file} is too short (need at least 16 bytes)`);
  }
  return key;
}
