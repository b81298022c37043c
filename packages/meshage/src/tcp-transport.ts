// Real transport: TCP links carrying length-delimited msgpackr frames, and
// UDP datagrams for discovery. Every datagram is prefixed with the sender's
// TCP port so the receiver dials the datagram's *source address* (no DNS or
// /etc/hosts needed) at the port the sender really listens on.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { interfaceBroadcastAddresses } from './broadcast-addresses.js';
import { DialError, InvalidOptionError, LinkClosedError } from './errors.js';
import {
  DEFAULT_MAX_FRAME,
  FrameDecoder,
  FrameReader,
  frameBuffer,
  HANDSHAKE_MAX_FRAME,
  rawFrameHead,
} from './framing.js';
import { startStreamTls } from './stream-tls.js';
import {
  BaseLink,
  type DialOptions,
  type Link,
  type TlsStartOptions,
  type Transport,
} from './transport.js';

export interface TcpTransportOptions {
  /** listen address (default 0.0.0.0) */
  host?: string;
  /** TCP port (default 9000; 0 picks a free one) */
  port?: number;
  /** UDP discovery port (default: the TCP port, or 9000 when that is 0); false disables discovery */
  discoveryPort?: number | false;
  /** discovery targets: 'auto' = each interface's broadcast address (default) */
  broadcast?: 'auto' | string[];
  /** largest accepted frame in bytes (default 16 MiB) */
  maxFrameBytes?: number;
  /**
   * keep the process alive while listening (default true); false when
   * something else keeps it alive (a daemon's control socket), so a process
   * that only builds the daemon (e.g. `minimega -cli`) still exits
   */
  keepAlive?: boolean;
}

/** queued writes smaller than this are joined into one write (up to this size) */
const JOIN_BELOW = 16 * 1024;

interface QueuedWrite {
  buf: Uint8Array;
  done?: ((err?: Error | null) => void) | undefined;
}

class TcpLink extends BaseLink {
  readonly remoteAddress: string;
  readonly #limit: { setMax(bytes: number): void };
  /** the socket went to TLS (startTls): frames still parsed from it are not ours */
  #handedOff = false;
  /**
   * a link over TLS: writes waiting for the socket. Node's TLS socket joins
   * the writes it holds (a writev) into one fresh buffer before sealing
   * them: a copy of every data frame into a new allocation, megabytes when
   * a stream writes a large buffer. So the link lets the socket hold at
   * most one write besides the one in progress (one held write is written
   * on its own), and OpenSSL seals straight from the writer's buffer.
   */
  readonly #queue: QueuedWrite[] | undefined;
  /** writes handed to the socket whose callbacks have not run */
  #inSocket = 0;
  #endQueued = false;

  /**
   * `reader`: the socket reads into its buffers (a dialed socket); else 'data'
   * events. `under`: the TCP socket a TLS `socket` runs on (closed with it).
   */
  constructor(
    private readonly socket: Socket,
    private readonly maxFrame: number,
    reader?: FrameReader,
    private readonly under?: Socket,
    remoteAddress?: string,
  ) {
    super();
    this.remoteAddress =
      remoteAddress ?? `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    socket.setNoDelay(true);
    const fail = (err: unknown) => this.close(err instanceof Error ? err.message : String(err));
    if (reader) {
      // frame by frame: the handshake lifts the frame limit between two frames
      reader.attach((f) => this.deliver(f), fail);
      this.#limit = reader;
    } else {
      const decoder = new FrameDecoder();
      socket.on('data', (chunk: Buffer) => {
        try {
          // frame by frame: the handshake lifts the frame limit between two frames of one chunk
          decoder.push(chunk, (f) => this.deliver(f));
        } catch (err) {
          fail(err);
        }
      });
      this.#limit = decoder;
    }
    // nobody unauthenticated gets to make this node buffer a 16 MiB frame
    this.#limit.setMax(Math.min(maxFrame, HANDSHAKE_MAX_FRAME));
    if (under) this.#queue = [];
    socket.on('error', (err) => this.onClosed(err.message));
    socket.on('close', () => this.onClosed('connection closed'));
    socket.on('end', () => this.#endSocket());
  }

  /** FIN after every queued write */
  #endSocket(): void {
    if (!this.#queue) this.socket.end();
    else {
      this.#endQueued = true;
      this.#pump();
    }
  }

  #enqueue(buf: Uint8Array, done?: (err?: Error | null) => void): void {
    (this.#queue as QueuedWrite[]).push({ buf, done });
    this.#pump();
  }

  #pump(): void {
    const q = this.#queue as QueuedWrite[];
    // two of ours at most: one being sealed and written, one held by the
    // socket (written on its own as soon as the first is done)
    while (this.#inSocket < 2 && !this.closed) {
      const w = q.shift();
      if (!w) {
        if (this.#endQueued && this.#inSocket === 0) this.socket.end();
        return;
      }
      // small writes queued back to back (control frames, requests, frame
      // heads) go as one: copying a few KiB is cheaper than a TLS write each
      let buf = w.buf;
      const dones = [w.done];
      if (buf.length < JOIN_BELOW && (q[0]?.buf.length ?? JOIN_BELOW) < JOIN_BELOW) {
        const parts = [buf];
        let n = buf.length;
        while (q[0] && q[0].buf.length < JOIN_BELOW && n + q[0].buf.length <= JOIN_BELOW) {
          const next = q.shift() as QueuedWrite;
          parts.push(next.buf);
          dones.push(next.done);
          n += next.buf.length;
        }
        buf = Buffer.concat(parts, n);
      }
      this.#inSocket++;
      this.socket.write(buf, (err) => {
        this.#inSocket--;
        for (const done of dones) done?.(err);
        if (!err) this.#pump();
      });
    }
  }

  protected override onClosed(reason: string): void {
    // writes the socket never got: their writers learn it (their buffers are free)
    const left = this.#queue?.splice(0) ?? [];
    super.onClosed(reason);
    for (const w of left) w.done?.(new LinkClosedError());
  }

  established(): void {
    this.#limit.setMax(this.maxFrame);
  }

  protected override deliver(frame: unknown): void {
    // bytes after the last handshake frame belong to TLS; a peer that sent
    // frames there anyway gets them ignored (nothing unauthenticated is read)
    if (!this.#handedOff) super.deliver(frame);
  }

  /**
   * This connection continues as TLS 1.3 under `psk` (stream-tls.ts): the
   * link over TLS once its handshake is complete. This link is done with the
   * socket from now on; closing it still closes the connection.
   */
  async startTls(
    role: 'client' | 'server',
    psk: Buffer,
    opts: TlsStartOptions = {},
  ): Promise<Link> {
    if (this.closed || this.under) throw new LinkClosedError();
    this.#handedOff = true;
    this.socket.removeAllListeners('data');
    const reader = new FrameReader();
    const { tls, readsInto } = await startStreamTls(this.socket, role, psk, reader, opts.early);
    if (this.closed) {
      tls.destroy();
      throw new LinkClosedError();
    }
    return new TcpLink(
      tls,
      this.maxFrame,
      readsInto ? reader : undefined,
      this.socket,
      this.remoteAddress,
    );
  }

  end(reason = 'ended'): void {
    if (this.closed) return;
    // FIN after the queued writes (destroy would drop them); the peer answers
    // with its own FIN and 'close' follows. A peer that never does is cut off.
    this.#endSocket();
    setTimeout(() => this.close(reason), 30_000).unref();
  }

  protected write(frame: unknown): void {
    // header and encoding in one buffer: one write, no joining copy
    const buf = frameBuffer(frame);
    if (this.#queue) this.#enqueue(buf);
    else this.socket.write(buf);
  }

  protected override writeRaw(
    pieces: readonly Uint8Array[],
    done?: (err?: Error | null) => void,
  ): void {
    const head = rawFrameHead(pieces.reduce((n, p) => n + p.length, 0));
    if (this.#queue) {
      this.#enqueue(head);
      const last = pieces.length - 1;
      for (const [i, p] of pieces.entries()) this.#enqueue(p, i === last ? done : undefined);
      return;
    }
    this.socket.cork();
    this.socket.write(head);
    // the socket holds the pieces until they are written: done then (in order)
    const last = pieces.length - 1;
    pieces.forEach((p, i) => {
      if (i === last && done) this.socket.write(p, done);
      else this.socket.write(p);
    });
    this.socket.uncork();
  }

  protected teardown(): void {
    this.socket.destroy();
    this.under?.destroy();
  }
}

export function parseAddress(address: string, defaultPort: number): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(address);
  if (m && !m[1]?.includes(':')) return { host: m[1] ?? '', port: Number(m[2]) };
  return { host: address.replace(/^\[|\]$/g, ''), port: defaultPort };
}

export function createTcpTransport(opts: TcpTransportOptions = {}): Transport {
  const host = opts.host ?? '0.0.0.0';
  let port = opts.port ?? 9000;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidOptionError(`invalid port ${port}`);
  }
  const maxFrame = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME;
  const discoveryPort = opts.discoveryPort ?? (port === 0 ? 9000 : port);
  let server: Server | undefined;
  let udp: UdpSocket | undefined;
  const sockets = new Set<Socket>();
  let closed = false;

  const track = (s: Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };

  const transport: Transport = {
    byValue: true,
    get localAddress() {
      return `${host}:${port}`;
    },

    addresses() {
      if (host !== '0.0.0.0' && host !== '::') return [`${host}:${port}`];
      // a wildcard listener: every IPv4 interface address, loopback last
      const out: string[] = [];
      const loop: string[] = [];
      for (const list of Object.values(networkInterfaces())) {
        for (const a of list ?? []) {
          if (a.family !== 'IPv4') continue;
          (a.internal ? loop : out).push(`${a.address}:${port}`);
        }
      }
      return [...out, ...loop].slice(0, 32);
    },

    async listen(handlers) {
      const srv = createServer((socket) => {
        if (closed) {
          socket.destroy();
          return;
        }
        track(socket);
        handlers.link(new TcpLink(socket, maxFrame));
      });
      server = srv;
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(port, host, () => {
          srv.off('error', reject);
          resolve();
        });
      });
      const addr = srv.address();
      if (addr && typeof addr === 'object') port = addr.port;
      if (opts.keepAlive === false) srv.unref();
      if (discoveryPort === false) return;
      const sock = createSocket({ type: 'udp4', reuseAddr: true });
      udp = sock;
      sock.on('error', () => {
        /* a datagram socket error must never take the node down */
      });
      sock.on('message', (msg, rinfo) => {
        if (msg.length < 3) return;
        const senderPort = msg.readUInt16BE(0);
        handlers.datagram(msg.subarray(2), `${rinfo.address}:${senderPort}`);
      });
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.bind(discoveryPort, '0.0.0.0', () => {
          sock.off('error', reject);
          resolve();
        });
      });
      sock.setBroadcast(true);
      if (opts.keepAlive === false) sock.unref();
    },

    dial(address, dialOpts: DialOptions = {}) {
      const { host: h, port: p } = parseAddress(address, port);
      const timeoutMs = dialOpts.timeoutMs ?? 10_000;
      return new Promise<Link>((resolve, reject) => {
        if (closed) return reject(new DialError(address, 'transport closed'));
        if (dialOpts.signal?.aborted) return reject(new DialError(address, 'aborted'));
        // the dialer's side reads straight into frame buffers (bulk stream
        // data flows towards the node that opened the stream)
        const reader = new FrameReader();
        const socket = connect({
          host: h,
          port: p,
          onread: {
            buffer: () => reader.buffer(),
            callback: (n) => {
              reader.onRead(n);
              return true;
            },
          },
        });
        const fail = (why: string) => {
          cleanup();
          socket.destroy();
          reject(new DialError(address, why));
        };
        const timer = setTimeout(() => fail('i/o timeout'), timeoutMs);
        const onAbort = () => fail('aborted');
        const onError = (err: Error) => fail(err.message);
        const cleanup = () => {
          clearTimeout(timer);
          dialOpts.signal?.removeEventListener('abort', onAbort);
          socket.off('error', onError);
        };
        dialOpts.signal?.addEventListener('abort', onAbort, { once: true });
        socket.once('error', onError);
        socket.once('connect', () => {
          cleanup();
          track(socket);
          resolve(new TcpLink(socket, maxFrame, reader));
        });
      });
    },

    async broadcast(data) {
      const sock = udp;
      if (!sock || discoveryPort === false) return ['discovery disabled'];
      const targets =
        opts.broadcast === undefined || opts.broadcast === 'auto'
          ? interfaceBroadcastAddresses()
          : opts.broadcast;
      const msg = Buffer.allocUnsafe(2 + data.length);
      msg.writeUInt16BE(port, 0);
      msg.set(data, 2);
      const errors: string[] = [];
      await Promise.all(
        targets.map(
          (t) =>
            new Promise<void>((resolve) => {
              try {
                sock.send(msg, discoveryPort, t, (err) => {
                  if (err) errors.push(`${t}: ${err.message}`);
                  resolve();
                });
              } catch (err) {
                errors.push(`${t}: ${err instanceof Error ? err.message : err}`);
                resolve();
              }
            }),
        ),
      );
      if (targets.length === 0) errors.push('no broadcast address on any interface');
      return errors;
    },

    async close() {
      if (closed) return;
      closed = true;
      for (const s of sockets) s.destroy();
      const u = udp;
      udp = undefined;
      if (u) await new Promise<void>((r) => u.close(() => r()));
      const srv = server;
      server = undefined;
      if (srv) await new Promise<void>((r) => srv.close(() => r()));
    },

    async [Symbol.asyncDispose]() {
      await transport.close();
    },
  };
  return transport;
}
