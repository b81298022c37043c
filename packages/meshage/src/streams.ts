// Byte streams between two nodes (the Stream API contract): each stream is
// its own direct link (a new connection from opener to target), set up by
// the same handshake as mesh links with purpose 'stream', so with a key it
// is authenticated and every frame sealed. Bulk data therefore never rides
// the mesh's control links. Frames: data is a raw byte frame (≤ STREAM_CHUNK;
// no msgpack on a clear TCP link), control frames are objects: w (window
// credit), e (end of this direction), x (reset). Flow control is by credit: a
// writer sends at most STREAM_WINDOW bytes the reader has not yet consumed.
//
// Copies: on a link that serializes frames (TCP, or any sealed link) data
// frames are sent as views of the writer's own buffer, with no copy in this
// process: TCP writes them from there (the write callback runs once the
// kernel has every byte), a sealed link encrypts them into its ciphertext
// at once. The writer's buffer is free as soon as its write callback runs,
// as Node streams promise. Links that hand frames over by reference (the
// in-memory transport) get a copy the peer then owns.
import { Duplex } from 'node:stream';
import { z } from 'zod';
import type { ChannelLink } from './channel.js';
import {
  InvalidOptionError,
  MeshAbortedError,
  type MeshError,
  NoHandlerError,
  StreamResetError,
  UnreachableError,
} from './errors.js';
import { type Admission, initiate, type LocalIdentity } from './handshake.js';
import type { Transport } from './transport.js';
import type { DialerHello } from './wire.js';

export interface StreamContext {
  /** the node that opened the stream */
  from: string;
  /** aborted when the stream closes or this node closes */
  signal: AbortSignal;
}

export type StreamHandler = (stream: Duplex, ctx: StreamContext) => void;

/** largest data frame */
export const STREAM_CHUNK = 1024 * 1024;
/** bytes a writer may have sent that the reader has not consumed */
export const STREAM_WINDOW = 4 * 1024 * 1024;
/** data frames of one write are cut at multiples of this (a page) */
const FRAME_ALIGN = 4096;
/** a data frame cut short by the credit is at least this long */
const MIN_FRAME = 64 * 1024;
const PROTOCOL = /^[\x21-\x7e]{1,64}$/;
const controlFrame = z.discriminatedUnion('t', [
  z.object({ t: z.literal('w'), n: z.number().int().positive().max(STREAM_WINDOW) }),
  z.object({ t: z.literal('e') }),
  z.object({ t: z.literal('x'), m: z.string().max(1024) }),
]);
type ControlFrame = z.infer<typeof controlFrame>;

class MeshStream extends Duplex {
  readonly #link: ChannelLink;
  readonly #trusted: boolean;
  /** sent frames leave the process (serialized or sealed): sent from the writer's buffer */
  readonly #byValue: boolean;
  #credit = STREAM_WINDOW;
  #blocked: { chunk: Buffer; off: number; cb: (err?: Error | null) => void } | undefined;
  /** data frames of the current write the link still reads from */
  #inflight = 0;
  /** the current write's callback, once all its frames are queued but not all written */
  #afterSent: ((err?: Error | null) => void) | undefined;
  #sendError: Error | undefined;
  #unacked = 0;
  #paused = false;
  #gotEnd = false;
  #sentEnd = false;
  #received = 0;
  /** credit granted to the peer so far (beyond the first window) */
  #grantedOut = 0;

  constructor(link: ChannelLink, trusted: boolean, byValue: boolean, log: StreamDeps['log']) {
    super({ allowHalfOpen: true });
    // a reset by the peer must never become an uncaught exception in a daemon
    // whose code forgot an 'error' listener: log it (other listeners still get it)
    this.on('error', (err) => log('debug', `stream ${link.remoteAddress}: ${err.message}`));
    this.#link = link;
    this.#trusted = trusted;
    this.#byValue = byValue || link.encrypted;
    link.attach({
      frame: (raw) => this.#onFrame(raw),
      close: (why) => {
        if (this.#gotEnd && this.#sentEnd) return;
        if (!this.destroyed) this.destroy(new StreamResetError(`stream closed: ${why}`));
      },
    });
  }

  get remoteAddress(): string {
    return this.#link.remoteAddress;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.#pump(chunk, 0, cb);
  }

  #pump(chunk: Buffer, off: number, cb: (err?: Error | null) => void): void {
    while (off < chunk.length) {
      if (this.#credit <= 0) {
        this.#blocked = { chunk, off, cb };
        return;
      }
      let n = Math.min(STREAM_CHUNK, chunk.length - off, this.#credit);
      if (n < chunk.length - off) {
        // frames start on 4 KiB multiples of the write, so a receiver gets a
        // large write as whole pages (it may write them to disk with
        // O_DIRECT as they are); a credit ending mid-page, or a sliver of
        // credit, waits for the next grant (the reader owes one: all but
        // MIN_FRAME of its window is unread), so bulk data never goes out
        // in crumbs that each cost a frame of their own
        n -= n % FRAME_ALIGN;
        if (n < MIN_FRAME) {
          this.#blocked = { chunk, off, cb };
          return;
        }
      }
      const piece = chunk.subarray(off, off + n);
      try {
        if (this.#byValue) {
          this.#inflight++;
          this.#link.sendData(piece, this.#sent);
        } else this.#link.send(Buffer.from(piece)); // handed over by reference: the peer's own copy
      } catch (err) {
        if (this.#byValue) this.#inflight--;
        cb(err as Error);
        return;
      }
      this.#credit -= n;
      off += n;
    }
    if (this.#inflight === 0) {
      const err = this.#sendError;
      this.#sendError = undefined;
      cb(err);
    } else this.#afterSent = cb;
  }

  /** the link is done with one data frame of the current write */
  readonly #sent = (err?: Error | null): void => {
    this.#inflight--;
    if (err) this.#sendError ??= err;
    const cb = this.#afterSent;
    if (this.#inflight > 0 || !cb) return;
    this.#afterSent = undefined;
    const e = this.#sendError;
    this.#sendError = undefined;
    cb(e);
  };

  override _final(cb: (err?: Error | null) => void): void {
    try {
      this.#link.send({ t: 'e' });
    } catch (err) {
      cb(err as Error);
      return;
    }
    this.#sentEnd = true;
    cb();
  }

  override _read(): void {
    if (this.#paused) {
      this.#paused = false;
      this.#grant(1);
    }
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    if (!this.#link.closed) {
      if (err && !(err instanceof StreamResetError)) {
        try {
          this.#link.send({ t: 'x', m: err.message });
        } catch {
          // closed meanwhile
        }
      }
      // a clean finish lets queued frames (our end, our last data) reach the peer first
      if (err) this.#link.close(`stream reset: ${err.message}`);
      else if (this.#sentEnd) this.#link.end('stream done');
      else this.#link.close('stream done');
    }
    const blocked = this.#blocked;
    this.#blocked = undefined;
    blocked?.cb(err ?? new StreamResetError('stream destroyed'));
    const sending = this.#afterSent;
    this.#afterSent = undefined;
    sending?.(err ?? new StreamResetError('stream destroyed'));
    cb(err);
  }

  /** give the writer credit back for what the reader consumed */
  #grant(min: number): void {
    if (this.#unacked < min || this.#link.closed) return;
    const n = Math.min(this.#unacked, STREAM_WINDOW);
    this.#unacked -= n;
    this.#grantedOut += n;
    try {
      this.#link.send({ t: 'w', n });
    } catch {
      // closed: the close handler reports it
    }
  }

  #onData(b: Uint8Array): void {
    this.#received += b.length;
    if (this.#gotEnd || this.#received > STREAM_WINDOW + this.#grantedOut) {
      this.destroy(new StreamResetError('peer sent past its window or after its end'));
      return;
    }
    this.#unacked += b.length;
    const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    if (this.push(buf)) this.#grant(STREAM_WINDOW / 4);
    else this.#paused = true;
  }

  #onFrame(raw: unknown): void {
    if (raw instanceof Uint8Array) {
      this.#onData(raw);
      return;
    }
    let f: ControlFrame;
    if (this.#trusted) f = raw as ControlFrame;
    else {
      const parsed = controlFrame.safeParse(raw);
      if (!parsed.success) {
        this.destroy(new StreamResetError('malformed stream frame'));
        return;
      }
      f = parsed.data;
    }
    switch (f.t) {
      case 'w': {
        this.#credit += f.n;
        if (this.#credit > STREAM_WINDOW) {
          this.destroy(new StreamResetError('peer granted more credit than was sent'));
          return;
        }
        const b = this.#blocked;
        if (b && this.#credit > 0) {
          this.#blocked = undefined;
          this.#pump(b.chunk, b.off, b.cb);
        }
        return;
      }
      case 'e':
        this.#gotEnd = true;
        this.push(null);
        // the last of the two ends to arrive closes the link: both ends are through by then
        if (this.#sentEnd) this.#link.end('stream done');
        return;
      case 'x':
        this.destroy(new StreamResetError(`stream reset by peer: ${f.m}`));
        return;
    }
  }
}

export interface StreamDeps {
  identity: LocalIdentity;
  transport: Transport;
  dialTimeoutMs: number;
  handshakeTimeoutMs: number;
  /** aborted when the node closes */
  closing: AbortSignal;
  /** addresses where `host` can be dialed, best first; rejects with a HostError */
  locate(host: string, signal: AbortSignal | undefined): Promise<string[]>;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
}

export interface Streams {
  open(host: string, protocol: string, opts?: { signal?: AbortSignal }): Promise<Duplex>;
  handle(protocol: string, handler: StreamHandler): () => void;
  /** handshake hook: may a dialer open a stream of this protocol? */
  admit(h: DialerHello): Admission;
  /** handshake hook: a stream link is up */
  accepted(link: ChannelLink, h: DialerHello): void;
}

export function createStreams(deps: StreamDeps): Streams {
  const handlers = new Map<string, StreamHandler>();
  const name = deps.identity.name;
  const trusted = (link: ChannelLink) => deps.transport.trusted === true && !link.encrypted;
  const byValue = deps.transport.byValue === true;

  function checkProtocol(protocol: string): void {
    if (!PROTOCOL.test(protocol)) {
      throw new InvalidOptionError(`invalid stream protocol ${JSON.stringify(protocol)}`);
    }
  }

  return {
    handle(protocol, handler) {
      checkProtocol(protocol);
      if (handlers.has(protocol)) {
        throw new InvalidOptionError(
          `a handler for stream protocol ${protocol} is already registered`,
        );
      }
      handlers.set(protocol, handler);
      return () => {
        if (handlers.get(protocol) === handler) handlers.delete(protocol);
      };
    },

    admit(h) {
      if (h.proto && handlers.has(h.proto)) return { ok: true, soliciting: false };
      return {
        ok: false,
        error: Object.assign(new NoHandlerError(name, h.proto ?? ''), {
          message: `${name} has no handler for stream protocol ${h.proto}`,
        }),
      };
    },

    accepted(link, h) {
      const handler = h.proto ? handlers.get(h.proto) : undefined;
      if (!handler) {
        link.close('no stream handler');
        return;
      }
      const stream = new MeshStream(link, trusted(link), byValue, deps.log);
      const ac = new AbortController();
      const abort = () => ac.abort();
      deps.closing.addEventListener('abort', abort, { once: true });
      stream.once('close', () => {
        deps.closing.removeEventListener('abort', abort);
        ac.abort();
      });
      ac.signal.addEventListener('abort', () => stream.destroy(), { once: true });
      try {
        handler(stream, { from: h.name, signal: ac.signal });
      } catch (err) {
        deps.log(
          'warn',
          `stream handler ${h.proto} threw: ${err instanceof Error ? err.message : err}`,
        );
        stream.destroy(err instanceof Error ? err : new Error(String(err)));
      }
    },

    async open(host, protocol, opts = {}) {
      checkProtocol(protocol);
      const signal = opts.signal ? AbortSignal.any([opts.signal, deps.closing]) : deps.closing;
      const aborted = () => new MeshAbortedError(host);
      if (signal.aborted) throw aborted();
      const addrs = await deps.locate(host, signal);
      const why: string[] = [];
      for (const addr of addrs) {
        if (signal.aborted) throw aborted();
        let link: Awaited<ReturnType<Transport['dial']>>;
        try {
          link = await deps.transport.dial(addr, { signal, timeoutMs: deps.dialTimeoutMs });
        } catch (err) {
          if (signal.aborted) throw aborted();
          why.push((err as Error).message);
          continue;
        }
        const onAbort = () => link.close('aborted');
        signal.addEventListener('abort', onAbort, { once: true });
        try {
          const r = await initiate(
            link,
            deps.identity,
            { purpose: 'stream', proto: protocol, to: host },
            { timeoutMs: deps.handshakeTimeoutMs },
          );
          if (!r) throw new StreamResetError('stream declined');
          return new MeshStream(r.link, trusted(r.link), byValue, deps.log);
        } catch (err) {
          if (signal.aborted) throw aborted();
          const code = (err as MeshError).code;
          // the right node answered and said no, or proved no key: no use trying elsewhere
          if (code === 'ERR_MESH_NO_HANDLER' || code === 'ERR_MESH_AUTH') throw err;
          why.push((err as Error).message);
        } finally {
          signal.removeEventListener('abort', onAbort);
        }
      }
      throw Object.assign(new UnreachableError(host, name), {
        message: `no direct connection to ${host} from ${name}: ${why.join('; ') || 'no address'}`,
      });
    },
  };
}
