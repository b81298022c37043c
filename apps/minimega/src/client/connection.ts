// A control-socket client (miniclient): one request in flight per connection,
// replies read until one with Status=false and More=false. Kept free of heavy
// imports because `minimega -e` starts with it.
import { connect, type Socket } from 'node:net';
import { JsonStreamSplitter } from '../protocol/json-stream.js';
import { encodeGo, request, type WireReply } from '../protocol/wire.js';

export class ClientError extends Error {
  readonly code: 'ERR_DISCONNECTED' | 'ERR_DIAL' | 'ERR_BAD_REPLY' | 'ERR_CLOSED';
  constructor(code: ClientError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

export interface DialOptions {
  /** keep retrying a missing/refusing socket for this long (ms); default: only EAGAIN is retried */
  waitMs?: number;
  signal?: AbortSignal;
}

function isReply(v: unknown): v is WireReply {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    (o.Resp === null || o.Resp === undefined || Array.isArray(o.Resp)) &&
    (o.Rendered === undefined || typeof o.Rendered === 'string')
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class MinimegaClient {
  private readonly splitter = new JsonStreamSplitter();
  private readonly queue: WireReply[] = [];
  private waiter: (() => void) | undefined;
  private failure: ClientError | undefined;
  private lock: Promise<void> = Promise.resolve();
  private readonly disconnectListeners: ((e: ClientError) => void)[] = [];

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk) => {
      let texts: string[];
      try {
        texts = this.splitter.push(chunk);
      } catch (e) {
        this.fail(new ClientError('ERR_BAD_REPLY', (e as Error).message));
        return;
      }
      for (const t of texts) {
        let v: unknown;
        try {
          v = JSON.parse(t);
        } catch (e) {
          this.fail(
            new ClientError('ERR_BAD_REPLY', `bad reply from daemon: ${(e as Error).message}`),
          );
          return;
        }
        if (!isReply(v)) {
          this.fail(
            new ClientError('ERR_BAD_REPLY', 'bad reply from daemon: not a response object'),
          );
          return;
        }
        this.queue.push(v);
      }
      this.wake();
    });
    socket.on('error', (e) => {
      // the daemon going away can show as a reset before the close: say it as
      // minimega does, not as a socket errno
      const code = (e as NodeJS.ErrnoException).code;
      const gone = code === 'ECONNRESET' || code === 'EPIPE';
      this.fail(new ClientError('ERR_DISCONNECTED', gone ? 'server disconnected' : e.message));
    });
    socket.on('close', () => this.fail(new ClientError('ERR_DISCONNECTED', 'server disconnected')));
  }

  static async dial(path: string, opts: DialOptions = {}): Promise<MinimegaClient> {
    const deadline = Date.now() + (opts.waitMs ?? 0);
    let backoff = 10;
    for (;;) {
      opts.signal?.throwIfAborted();
      try {
        const sock = await new Promise<Socket>((resolve, reject) => {
          const s = connect(path);
          s.once('connect', () => {
            s.removeListener('error', reject);
            resolve(s);
          });
          s.once('error', reject);
        });
        return new MinimegaClient(sock);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const temporary = code === 'EAGAIN';
        const waitable = code === 'ENOENT' || code === 'ECONNREFUSED';
        if (!(temporary || (waitable && Date.now() < deadline))) {
          throw new ClientError('ERR_DIAL', `dial unix ${path}: ${(e as Error).message}`);
        }
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 200);
      }
    }
  }

  private fail(e: ClientError): void {
    const first = this.failure === undefined;
    this.failure ??= e;
    this.wake();
    if (first) for (const fn of this.disconnectListeners.splice(0)) fn(e);
  }

  /** The connection's end (daemon quit or died), or undefined while it lives. */
  get disconnected(): ClientError | undefined {
    return this.failure;
  }

  /**
   * Called once when the connection ends, also while no command is running,
   * so an idle prompt can end instead of waiting for the next line.
   */
  onDisconnect(fn: (e: ClientError) => void): void {
    if (this.failure) fn(this.failure);
    else this.disconnectListeners.push(fn);
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private async next(): Promise<WireReply> {
    for (;;) {
      const r = this.queue.shift();
      if (r) return r;
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.lock;
    let release!: () => void;
    this.lock = new Promise((r) => {
      release = r;
    });
    await prev;
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** Send raw text (tests use this for malformed frames). */
  writeRaw(text: string): void {
    this.socket.write(text);
  }

  /** Read the next reply whatever it is (tests). */
  readReply(): Promise<WireReply> {
    return this.next();
  }

  /** Run one command; resolves with every reply (status replies included), in order. */
  async runAll(cmd: string): Promise<WireReply[]> {
    const out: WireReply[] = [];
    await this.run(cmd, (r) => {
      out.push(r);
    });
    return out;
  }

  /** Run one command, calling `onReply` for each reply until the final one. */
  run(cmd: string, onReply: (r: WireReply) => void | Promise<void>): Promise<void> {
    if (cmd === '') return Promise.resolve();
    return this.exclusive(async () => {
      if (this.failure) throw this.failure;
      this.socket.write(encodeGo(request({ Command: cmd })));
      for (;;) {
        const r = await this.next();
        await onReply(r);
        if (!r.Status && !r.More) return;
      }
    });
  }

  /** Completion candidates (whole lines) for `line`. */
  suggest(line: string): Promise<string[]> {
    return this.exclusive(async () => {
      if (this.failure) throw this.failure;
      this.socket.write(encodeGo(request({ Suggest: line })));
      for (;;) {
        const r = await this.next();
        if (r.Status) continue;
        return r.Suggest ?? [];
      }
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.end();
      setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, 500).unref();
    });
  }

  /**
   * Ends the connection now, without waiting for the daemon to close its
   * side: for a client that has its last reply and is about to exit (`-e`),
   * that wait is a round trip to the daemon for nothing.
   */
  destroy(): void {
    this.socket.destroy();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
