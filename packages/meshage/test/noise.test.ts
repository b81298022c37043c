// The sealed record's cipher, pinned: Noise AESGCM (AES-256-GCM, nonce = 32
// zero bits then the big-endian record counter), so a change of AEAD or
// nonce layout is a deliberate protocol change (PROTOCOL_VERSION), never an
// accident; and a key's records open only in order, once each.
import { createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { CipherState, DecryptError, hkdf, NOISE_PROTOCOL } from '../src/noise.js';

function openWith(key: Buffer, n: number, sealed: Buffer): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64BE(BigInt(n), 4);
  const d = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  const out = d.update(sealed.subarray(0, sealed.length - 16));
  d.final();
  return out;
}

describe('noise cipher state', () => {
  test('records are AES-256-GCM under nonce 0^32 || big-endian counter', () => {
    expect(NOISE_PROTOCOL).toBe('Noise_NNpsk0_25519_AESGCM_SHA256');
    const key = randomBytes(32);
    const cs = new CipherState(key);
    const records = ['zero', 'one', 'two'].map((s) => cs.encrypt(Buffer.alloc(0), Buffer.from(s)));
    expect(records.map((r, n) => openWith(key, n, r).toString())).toEqual(['zero', 'one', 'two']);
    // the counter is not little-endian (ChaChaPoly's layout): record 1 fails under it
    const le = Buffer.alloc(12);
    le.writeUInt32LE(1, 4);
    const d = createDecipheriv('aes-256-gcm', key, le, { authTagLength: 16 });
    d.setAuthTag((records[1] as Buffer).subarray(-16));
    d.update((records[1] as Buffer).subarray(0, -16));
    expect(() => d.final()).toThrow();
  });

  test('seal() pieces open as one record; order, replay and tampering fail', () => {
    const key = randomBytes(32);
    const send = new CipherState(key);
    const recv = new CipherState(key);
    const a = Buffer.concat(send.seal(Buffer.alloc(0), [Buffer.from('he'), Buffer.from('llo')]));
    const b = Buffer.concat(send.seal(Buffer.alloc(0), [Buffer.from('world')]));
    expect(recv.decrypt(Buffer.alloc(0), a).toString()).toBe('hello');
    // replaying a (counter 0) where b (counter 1) is due fails
    expect(() => recv.decrypt(Buffer.alloc(0), a)).toThrow(DecryptError);
    const tampered = Buffer.from(b);
    tampered[0] = (tampered[0] as number) ^ 1;
    const recv2 = new CipherState(key);
    recv2.decrypt(Buffer.alloc(0), a);
    expect(() => recv2.decrypt(Buffer.alloc(0), tampered)).toThrow(DecryptError);
    // in order and untouched, b opens
    const recv3 = new CipherState(key);
    recv3.decrypt(Buffer.alloc(0), a);
    expect(recv3.decrypt(Buffer.alloc(0), b).toString()).toBe('world');
  });
});

describe('noise HKDF', () => {
  const hmac = (key: Uint8Array, ...parts: Uint8Array[]) => {
    const h = createHmac('sha256', key);
    for (const p of parts) h.update(p);
    return h.digest();
  };
  test('is the spec’s HMAC-SHA256 construction (2 and 3 outputs, empty input too)', () => {
    for (const ikm of [randomBytes(32), randomBytes(7), Buffer.alloc(0)]) {
      const ck = randomBytes(32);
      const temp = hmac(ck, ikm);
      const o1 = hmac(temp, Buffer.from([1]));
      const o2 = hmac(temp, o1, Buffer.from([2]));
      const o3 = hmac(temp, o2, Buffer.from([3]));
      expect(hkdf(ck, ikm, 2)).toEqual([o1, o2]);
      expect(hkdf(ck, ikm, 3)).toEqual([o1, o2, o3]);
    }
  });
});
