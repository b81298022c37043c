// Optional mesh key. With a key, every link runs the Noise NNpsk0
// handshake with a psk derived from it (handshake.ts, noise.ts) and every
// later frame is sealed (channel.ts); discovery datagrams carry an HMAC over
// everything a receiver acts on (discovery.ts).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { InvalidOptionError } from './errors.js';

/** the 32-byte Noise psk for a mesh key (a key of any length ≥ 16 bytes) */
export function derivePsk(key: Uint8Array): Buffer {
  return createHmac('sha256', key).update('minimega-meshage-psk-v2').digest();
}

export function datagramMac(key: Uint8Array, payload: Uint8Array): Buffer {
  return createHmac('sha256', key).update('meshage-datagram-v2\u0000').update(payload).digest();
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
