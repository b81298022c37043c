// The transport contract: how a mesh node reaches its neighbours. A transport
// carries whole frames (plain objects) over reliable, ordered links, and
// datagrams for discovery. The mesh (handshake, auth, topology, routing)
// is written once against this contract; both implementations (TCP, memory)
// pass the same compliance suite.
import { LinkClosedError } from './errors.js';

export interface LinkHandlers {
  /** one decoded frame (validated by the mesh, not by the transport) */
  frame(frame: unknown): void;
  /** the link is gone (remote close, reset, bad frame, local close); called once */
  close(reason: string): void;
}

/** One reliable, ordered, bidirectional frame link. */
export interface Link {
  /** remote address as the network sees it (for logs and `mesh list`) */
  readonly remoteAddress: string;
  /** attach handlers; frames/close that arrived earlier are replayed to them */
  attach(handlers: LinkHandlers): void;
  /** queue one frame; throws LinkClosedError once the link is closed */
  send(frame: unknown): void;
  /**
   * queue one raw-bytes frame given in pieces (a sealed frame's ciphertext
   * and tag): the peer receives their concatenation as one Uint8Array frame.
   * TCP writes the pieces back to back (no joining copy). `done` runs once
   * the pieces' memory may be reused (TCP: the kernel has the bytes); until
   * then the caller leaves them alone.
   */
  sendRaw?(pieces: readonly Uint8Array[], done?: (err?: Error | null) => void): void;
  /** close the link; the remote side sees close() soon after */
  close(reason?: string): void;
  /**
   * close once every frame sent so far has reached the peer (a graceful
   * close; send() throws from now on). Without it a link just closes.
   */
  end?(reason?: string): void;
  readonly closed: boolean;
  /**
   * the handshake is over: lift the limits an unauthenticated link gets (a
   * TCP link accepts only small frames until then)
   */
  established?(): void;
  /**
   * the connection continues as TLS 1.3 under `psk` (a key exported from the
   * finished Noise handshake): resolves with the link over TLS once the TLS
   * handshake proved that the other end holds the same key; rejects (and
   * closes) otherwise. Transports whose records Node can seal natively (TCP)
   * offer it for bulk streams; without it streams stay on the Noise channel.
   */
  startTls?(role: 'client' | 'server', psk: Buffer, opts?: TlsStartOptions): Promise<Link>;
}

export interface TlsStartOptions {
  /**
   * client only: resolve with the link as soon as the TLS client hello is
   * sent, not once the handshake is complete. Frames sent meanwhile wait in
   * the TLS socket (nothing leaves unencrypted: TLS sends no application
   * data before its handshake); a handshake that fails, or is not complete
   * within `timeoutMs`, closes the link.
   */
  early?: { timeoutMs: number };
}

export interface DialOptions {
  signal?: AbortSignal;
  /** default 10 s */
  timeoutMs?: number;
}

export interface Transport extends AsyncDisposable {
  /** address other nodes dial to reach this one */
  readonly localAddress: string;
  /**
   * every address other nodes may dial to reach this one, best first (a
   * wildcard listener: one per interface). Default: [localAddress].
   */
  addresses?(): string[];
  /**
   * true when frames are objects built by code in this process (in-memory
   * transport): nothing was decoded, so the mesh may skip wire validation.
   */
  readonly trusted?: boolean;
  /**
   * true when a link's send() serializes each frame out of the process (TCP):
   * a Uint8Array sent may be reused once the peer has received it. Unset (the
   * in-memory transport), frames are handed over by reference.
   */
  readonly byValue?: boolean;
  /** start accepting links and datagrams */
  listen(handlers: {
    link(link: Link): void;
    /** a discovery datagram; `from` is the dialable address of its sender */
    datagram(data: Uint8Array, from: string): void;
  }): Promise<void>;
  /** open a link; rejects with DialError */
  dial(address: string, opts?: DialOptions): Promise<Link>;
  /** send a discovery datagram to the broadcast domain; resolves with the errors per target (never throws) */
  broadcast(data: Uint8Array): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * Shared link plumbing: buffers frames until handlers attach, guarantees a
 * single close notification. Implementations call `deliver()`/`closed_()`.
 */
export abstract class BaseLink implements Link {
  abstract readonly remoteAddress: string;
  #handlers: LinkHandlers | undefined;
  #early: unknown[] = [];
  #closeReason: string | undefined;
  #closed = false;
  #notified = false;

  get closed(): boolean {
    return this.#closed;
  }

  attach(handlers: LinkHandlers): void {
    this.#handlers = handlers;
    const early = this.#early;
    this.#early = [];
    for (const f of early) handlers.frame(f);
    if (this.#closeReason !== undefined) this.#notify();
  }

  send(frame: unknown): void {
    if (this.#closed) throw new LinkClosedError();
    this.write(frame);
  }

  sendRaw(pieces: readonly Uint8Array[], done?: (err?: Error | null) => void): void {
    if (this.#closed) throw new LinkClosedError();
    this.writeRaw(pieces, done);
  }

  /**
   * implementation: write one raw frame from pieces, `done` once they may be
   * reused (default: joined into a copy, then write; done at once)
   */
  protected writeRaw(pieces: readonly Uint8Array[], done?: (err?: Error | null) => void): void {
    this.write(pieces.length === 1 && !done ? pieces[0] : Buffer.concat(pieces));
    done?.();
  }

  close(reason = 'closed locally'): void {
    if (this.#closed) return;
    this.teardown();
    this.onClosed(reason);
  }

  /** implementation: write one frame */
  protected abstract write(frame: unknown): void;
  /** implementation: release the underlying resource */
  protected abstract teardown(): void;

  protected deliver(frame: unknown): void {
    if (this.#closed) return;
    if (this.#handlers) this.#handlers.frame(frame);
    else this.#early.push(frame);
  }

  protected onClosed(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeReason = reason;
    if (this.#handlers) this.#notify();
  }

  #notify(): void {
    if (this.#notified || !this.#handlers) return;
    this.#notified = true;
    this.#handlers.close(this.#closeReason ?? 'closed');
  }
}
