// The handshake's cryptography: the Noise protocol framework's symmetric
// state (https://noiseprotocol.org/noise.html, rev. 34) with the NNpsk0
// pattern over X25519, AES-256-GCM and SHA-256, all from node:crypto.
// AESGCM rather than ChaChaPoly: on CPUs with AES-NI and carry-less multiply
// (every x86-64 server of the last decade) OpenSSL seals a record for ~35%
// less CPU (bench/aead.ts), and every mesh byte is sealed once and opened
// once. Nonces are Noise's: 32 zero bits, then the big-endian 64-bit counter
// of that key's records, so no (key, nonce) pair is ever used twice.
//
//   -> psk, e          (dialer: proves the mesh key before the acceptor says anything)
//   <- e, ee           (acceptor: fresh shared secret; both payloads are AEAD'd)
//
// Every byte of both messages (and the prologue: protocol version, context)
// is hashed into `h`; the payloads (names, incarnations, intent) are
// encrypted under keys derived from the psk and the handshake so far, so a
// proof made on one connection is useless on another (ephemeral keys), and
// the two roles speak different messages (no reflection). `split()` gives
// one key per direction for the transport phase, each with its own counter.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
} from 'node:crypto';

export const NOISE_PROTOCOL = 'Noise_NNpsk0_25519_AESGCM_SHA256';
/** the AEAD of every handshake payload and transport record (Noise `AESGCM`: 256-bit keys) */
const AEAD = 'aes-256-gcm';
const TAG = 16;
const EMPTY = Buffer.alloc(0);

function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

/**
 * Noise HKDF: 2 or 3 outputs of 32 bytes. Noise defines it as HMAC-SHA256
 * steps (temp = HMAC(ck, ikm); o1 = HMAC(temp, 0x01); o2 = HMAC(temp, o1 ||
 * 0x02); ...), which is RFC 5869 HKDF with salt ck and empty info: one
 * native call instead of three or four HMAC objects (test/noise.test.ts
 * pins the equality).
 */
export function hkdf(ck: Uint8Array, ikm: Uint8Array, n: 2 | 3): Buffer[] {
  const out = Buffer.from(hkdfSync('sha256', ikm, ck, EMPTY, 32 * n));
  return n === 2
    ? [out.subarray(0, 32), out.subarray(32, 64)]
    : [out.subarray(0, 32), out.subarray(32, 64), out.subarray(64, 96)];
}

export class DecryptError extends Error {}

/** One direction's AEAD key and nonce counter. A frame that fails to open
 * (tampered, replayed, reordered, dropped before it) throws DecryptError. */
export class CipherState {
  #n = 0;
  readonly #nonce = Buffer.alloc(12);
  constructor(readonly key?: Buffer) {}

  get hasKey(): boolean {
    return this.key !== undefined;
  }

  #next(): Buffer {
    // AESGCM: 32 zero bits then the 64-bit big-endian counter (2^53 records is plenty)
    this.#nonce.writeUInt32BE(Math.floor(this.#n / 0x1_0000_0000), 4);
    this.#nonce.writeUInt32BE(this.#n % 0x1_0000_0000, 8);
    this.#n++;
    return this.#nonce;
  }

  /** the ciphertext of `plaintext` and its tag, joined (handshake payloads) */
  encrypt(ad: Uint8Array, plaintext: Uint8Array): Buffer {
    return Buffer.concat(this.seal(ad, [plaintext]));
  }

  /**
   * The sealed record of the concatenation of `parts`, returned as pieces
   * (each part's ciphertext, then the tag), never joined: the transport
   * writes them back to back, so no copy is made to glue them.
   */
  seal(ad: Uint8Array, parts: readonly Uint8Array[]): Buffer[] {
    if (!this.key) return parts.map((p) => Buffer.from(p));
    const c = createCipheriv(AEAD, this.key, this.#next(), { authTagLength: TAG });
    if (ad.length > 0) c.setAAD(ad);
    const out = parts.map((p) => c.update(p));
    c.final();
    out.push(c.getAuthTag());
    return out;
  }

  decrypt(ad: Uint8Array, ciphertext: Uint8Array): Buffer {
    if (!this.key) return Buffer.from(ciphertext);
    if (ciphertext.length < TAG) throw new DecryptError('frame too short');
    const d = createDecipheriv(AEAD, this.key, this.#next(), { authTagLength: TAG });
    if (ad.length > 0) d.setAAD(ad);
    d.setAuthTag(ciphertext.subarray(ciphertext.length - TAG));
    const head = d.update(ciphertext.subarray(0, ciphertext.length - TAG));
    try {
      d.final();
    } catch {
      throw new DecryptError('frame failed authentication');
    }
    return head;
  }
}

export interface KeyPair {
  priv: KeyObject;
  pub: Buffer;
}

function freshKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  // JWK rather than DER: OpenSSL 3's DER encoder and decoder cost ~2x and
  // ~6x the raw-key path (bench: 128 vs 61 µs to make and export a pair,
  // 103 vs 16 µs to import a peer's key)
  const { x } = publicKey.export({ format: 'jwk' });
  return { priv: privateKey, pub: Buffer.from(x as string, 'base64url') };
}

let spare: KeyPair | undefined;
let refilling = false;

/**
 * A fresh X25519 key pair, never handed out twice. One is made ahead, off
 * the handshake's critical path (the next after the event loop turns), so a
 * handshake does not wait for its key generation.
 */
export function generateKeyPair(): KeyPair {
  const kp = spare ?? freshKeyPair();
  spare = undefined;
  if (!refilling) {
    refilling = true;
    setImmediate(() => {
      refilling = false;
      spare ??= freshKeyPair();
    }).unref();
  }
  return kp;
}

function dh(priv: KeyObject, remotePub: Uint8Array): Buffer {
  if (remotePub.length !== 32) throw new DecryptError('bad ephemeral key');
  try {
    const pub = createPublicKey({
      key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(remotePub).toString('base64url') },
      format: 'jwk',
    });
    return diffieHellman({ privateKey: priv, publicKey: pub });
  } catch {
    throw new DecryptError('bad ephemeral key');
  }
}

/** The Noise SymmetricState plus the NNpsk0 message steps for either role. */
export class NoiseHandshake {
  #ck: Buffer;
  #h: Buffer;
  #cs = new CipherState();
  #e: KeyPair | undefined;
  #re: Uint8Array | undefined;

  constructor(
    readonly role: 'initiator' | 'responder',
    private readonly psk: Uint8Array,
    prologue: Uint8Array,
  ) {
    const name = Buffer.from(NOISE_PROTOCOL);
    this.#h =
      name.length <= 32 ? Buffer.concat([name, Buffer.alloc(32 - name.length)]) : sha256(name);
    this.#ck = this.#h;
    this.#mixHash(prologue);
  }

  /** the transcript hash (channel binding) */
  get hash(): Buffer {
    return this.#h;
  }

  #mixHash(data: Uint8Array): void {
    this.#h = sha256(this.#h, data);
  }

  #mixKey(ikm: Uint8Array): void {
    const [ck, k] = hkdf(this.#ck, ikm, 2) as [Buffer, Buffer];
    this.#ck = ck;
    this.#cs = new CipherState(k);
  }

  #mixKeyAndHash(ikm: Uint8Array): void {
    const [ck, th, k] = hkdf(this.#ck, ikm, 3) as [Buffer, Buffer, Buffer];
    this.#ck = ck;
    this.#mixHash(th);
    this.#cs = new CipherState(k);
  }

  #encryptAndHash(plaintext: Uint8Array): Buffer {
    const c = this.#cs.encrypt(this.#h, plaintext);
    this.#mixHash(c);
    return c;
  }

  #decryptAndHash(ciphertext: Uint8Array): Buffer {
    const p = this.#cs.decrypt(this.#h, ciphertext);
    this.#mixHash(ciphertext);
    return p;
  }

  #sendE(): Buffer {
    this.#e = generateKeyPair();
    this.#mixHash(this.#e.pub);
    this.#mixKey(this.#e.pub); // psk handshakes mix e into the key too
    return this.#e.pub;
  }

  #readE(e: Uint8Array): void {
    if (e.length !== 32) throw new DecryptError('bad ephemeral key');
    this.#re = e;
    this.#mixHash(e);
    this.#mixKey(e);
  }

  /** initiator: message 1 (psk, e) */
  writeMessage1(payload: Uint8Array): { e: Buffer; p: Buffer } {
    this.#mixKeyAndHash(this.psk);
    const e = this.#sendE();
    return { e, p: this.#encryptAndHash(payload) };
  }

  /** responder: read message 1; throws DecryptError unless the initiator holds the psk */
  readMessage1(m: { e: Uint8Array; p: Uint8Array }): Buffer {
    this.#mixKeyAndHash(this.psk);
    this.#readE(m.e);
    return this.#decryptAndHash(m.p);
  }

  /** responder: message 2 (e, ee) */
  writeMessage2(payload: Uint8Array): { e: Buffer; p: Buffer } {
    const e = this.#sendE();
    this.#mixKey(dh((this.#e as KeyPair).priv, this.#re as Uint8Array));
    return { e, p: this.#encryptAndHash(payload) };
  }

  /** initiator: read message 2 */
  readMessage2(m: { e: Uint8Array; p: Uint8Array }): Buffer {
    this.#readE(m.e);
    this.#mixKey(dh((this.#e as KeyPair).priv, m.e));
    return this.#decryptAndHash(m.p);
  }

  /**
   * A key for another protocol bound to this finished handshake (the stream
   * TLS PSK): from the chaining key and the transcript under a `label`, so
   * it is independent of the transport keys split() gives and of any other
   * label's key, and only the two ends of this handshake can compute it.
   */
  exportKey(label: string): Buffer {
    const [k] = hkdf(this.#ck, sha256(Buffer.from(label), this.#h), 2) as [Buffer, Buffer];
    return k;
  }

  /** transport keys: [this side sends with, this side receives with] */
  split(): { send: CipherState; recv: CipherState } {
    const [k1, k2] = hkdf(this.#ck, EMPTY, 2) as [Buffer, Buffer];
    return this.role === 'initiator'
      ? { send: new CipherState(k1), recv: new CipherState(k2) }
      : { send: new CipherState(k2), recv: new CipherState(k1) };
  }
}
