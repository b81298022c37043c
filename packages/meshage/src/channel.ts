// A link after the handshake. On TCP a keyed link is a TLS connection that
// seals every frame itself (handshake.ts): frames pass through here as on
// a clear link. Otherwise (in memory, or a peer without TLS links), with a
// mesh key every frame is encoded,
// sealed with the direction's AES-256-GCM key and counter, and sent
// as bytes; the receiver opens each record with the next counter, so a
// tampered, replayed, reordered or dropped record fails authentication and
// closes the link. Frames sent in the same tick share one sealed record
// (their msgpack encodings back to back: msgpack is self-delimiting, so the
// receiver splits them with no length prefix): one cipher object and one
// tag for many small frames, the bulk of a small frame's sealing cost
// (bench/aead.ts: ~7 µs of a 100 B record is the cipher object). A record
// opens whole or not at all, so a tampered one delivers none of its frames. Without a key frames pass through unchanged. Frames that
// arrive before a consumer attaches are held (the handshake hands the link
// over between two events).
import { decodeMultiple, encode } from './codec.js';
import { LinkClosedError } from './errors.js';
import { recycleStreamChunk } from './frame-pool.js';
import { type CipherState, DecryptError } from './noise.js';
import type { Link, LinkHandlers } from './transport.js';

const NO_AD = Buffer.alloc(0);
/**
 * First plaintext byte of a sealed raw-bytes frame (a stream's data): 0xc1
 * is the one byte msgpack never uses, so it cannot begin an encoded frame.
 * Raw bytes are sealed as they are: no msgpack copy each way.
 */
const RAW_MARK = Buffer.from([0xc1]);
/**
 * A coalesced record is sealed once it holds this many plaintext bytes (the
 * frames after it start the next record): records stay far below the
 * receiver's frame limit and a big frame is not held back behind many.
 */
const COALESCE_BYTES = 256 * 1024;

export class ChannelLink implements Link {
  #handlers: LinkHandlers | undefined;
  #held: unknown[] = [];
  #closeReason: string | undefined;
  #notified = false;
  #ending = false;
  /** encoded frames sent this tick, sealed together when the tick ends */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #flushQueued = false;
  readonly #flush = () => {
    this.#flushQueued = false;
    this.#sealPending();
  };

  /**
   * `cipher`: this channel seals every frame (Noise transport keys).
   * `sealedBy` 'tls': the inner link is a TLS connection that seals them
   * (frames pass through; the link still counts as encrypted).
   */
  constructor(
    private readonly inner: Link,
    private readonly cipher?: { send: CipherState; recv: CipherState },
    private readonly sealedBy?: 'tls',
  ) {
    inner.attach({
      frame: (raw) => this.#onFrame(raw),
      close: (why) => this.#onClose(why),
    });
  }

  get remoteAddress(): string {
    return this.inner.remoteAddress;
  }

  get closed(): boolean {
    return this.inner.closed || this.#closeReason !== undefined;
  }

  /** the handshake is over: lift the inner link's pre-handshake limits */
  established(): void {
    this.inner.established?.();
  }

  get encrypted(): boolean {
    return this.cipher !== undefined || this.sealedBy === 'tls';
  }

  attach(handlers: LinkHandlers): void {
    this.#handlers = handlers;
    while (this.#held.length > 0 && this.#handlers === handlers) {
      handlers.frame(this.#held.shift());
    }
    if (this.#closeReason !== undefined) this.#notify();
  }

  /** stop delivering: frames are held until the next attach() */
  detach(): void {
    this.#handlers = undefined;
  }

  send(frame: unknown): void {
    if (this.closed || this.#ending) throw new LinkClosedError();
    if (!this.cipher) {
      this.inner.send(frame);
      return;
    }
    if (frame instanceof Uint8Array) {
      // raw bytes go in a record of their own, after the frames sent before them
      this.#sealPending();
      this.#sendSealed([RAW_MARK, frame]);
      return;
    }
    const plain = encode(frame);
    if (this.#pendingBytes + plain.length > COALESCE_BYTES) this.#sealPending();
    this.#pending.push(plain);
    this.#pendingBytes += plain.length;
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      // after the current callback and the promise jobs it queued: the
      // replies an event's handlers send share a record
      process.nextTick(this.#flush);
    }
  }

  /** seals the frames sent so far this tick into one record and sends it */
  #sealPending(): void {
    if (this.#pending.length === 0) return;
    const parts = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    if (this.inner.closed) return;
    this.#sendSealed(parts);
  }

  #sendSealed(parts: Uint8Array[]): void {
    // ciphertext and tag go out as pieces: joining them copied every frame once more
    const sealed = (this.cipher as { send: CipherState }).send.seal(NO_AD, parts);
    if (this.inner.sendRaw) this.inner.sendRaw(sealed);
    else this.inner.send(Buffer.concat(sealed));
  }

  /**
   * one raw data frame sent from the caller's memory: `done` once `data` may
   * be reused (sealed: at once, the ciphertext is a copy; clear: when the
   * inner link has written it)
   */
  sendData(data: Uint8Array, done: (err?: Error | null) => void): void {
    if (!this.cipher && this.inner.sendRaw) {
      if (this.closed || this.#ending) throw new LinkClosedError();
      this.inner.sendRaw([data], done);
      return;
    }
    // sealed: the ciphertext is a copy; an inner link without sendRaw gets a copy of its own
    this.send(this.cipher ? data : Buffer.from(data));
    done();
  }

  close(reason = 'closed locally'): void {
    // what was sent before close goes out as it did before frames were coalesced
    this.#sealPending();
    this.inner.close(reason);
    this.#onClose(reason);
  }

  /** close after every frame sent so far reached the peer */
  end(reason = 'ended'): void {
    if (this.closed || this.#ending) return;
    this.#ending = true;
    this.#sealPending();
    if (this.inner.end) this.inner.end(reason);
    else this.close(reason);
  }

  #onFrame(raw: unknown): void {
    if (this.#closeReason !== undefined) return;
    if (this.cipher) {
      if (!(raw instanceof Uint8Array)) {
        this.close('unencrypted frame on a private link');
        return;
      }
      let frames: unknown[];
      try {
        const plain = this.cipher.recv.decrypt(NO_AD, raw);
        // the plaintext is a buffer of its own: the sealed bytes are never read
        // again, so a pooled receive buffer goes back for the next frame
        recycleStreamChunk(raw);
        frames = plain[0] === RAW_MARK[0] ? [plain.subarray(1)] : decodeMultiple(plain);
      } catch (err) {
        this.close(
          err instanceof DecryptError
            ? `${err.message} (tampered, replayed or reordered)`
            : 'undecodable frame',
        );
        return;
      }
      for (const frame of frames) {
        // a consumer may close the link on one frame: the rest are not delivered
        if (this.#closeReason !== undefined) return;
        this.#deliver(frame);
      }
      return;
    }
    this.#deliver(raw);
  }

  #deliver(frame: unknown): void {
    if (this.#handlers) this.#handlers.frame(frame);
    else this.#held.push(frame);
  }

  #onClose(why: string): void {
    if (this.#closeReason === undefined) this.#closeReason = why;
    if (this.#handlers) this.#notify();
  }

  #notify(): void {
    if (this.#notified || !this.#handlers) return;
    this.#notified = true;
    this.#handlers.close(this.#closeReason ?? 'closed');
  }
}
