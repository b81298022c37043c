// A control-socket session (miniclient) over any ClientLink: one request in
// flight per connection, replies read until one with Status=false and
// More=false. Kept free of heavy imports (no node:net, no streams) because
// `minimega -e` starts with it.
import { JsonStreamSplitter } from '../protocol/json-stream.js';
import { encodeGo, request, type WireReply } from '../protocol/wire.js';
import { ClientError } from './errors.js';
import type { ClientLink } from './link.js';
import { Utf8Text } from './utf8-text.js';

function isReply(v: unknown): v is WireReply {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    (o.Resp === null || o.Resp === undefined || Array.isArray(o.Resp)) &&
    (o.Rendered === undefined || typeof o.Rendered === 'string')
  );
}

export class ClientSession {
  private readonly text = new Utf8Text();
  private readonly splitter = new JsonStreamSplitter();
  private readonly queue: WireReply[] = [];
  private waiter: (() => void) | undefined;
  private failure: ClientError | undefined;
  private lock: Promise<void> = Promise.resolve();
  private readonly disconnectListeners: ((e: ClientError) => void)[] = [];

  constructor(private readonly link: ClientLink) {
    link.listen({
      data: (chunk) => this.received(chunk),
      error: (e) => {
        // the daemon going away can show as a reset before the close: say it as
        // minimega does, not as a socket errno
        const gone = e.code === 'ECONNRESET' || e.code === 'EPIPE';
        this.fail(new ClientError('ERR_DISCONNECTED', gone ? 'server disconnected' : e.message));
      },
      close: () => this.fail(new ClientError('ERR_DISCONNECTED', 'server disconnected')),
    });
  }

  private received(chunk: Uint8Array): void {
    let texts: string[];
    try {
      texts = this.splitter.push(this.text.push(chunk));
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
        this.fail(new ClientError('ERR_BAD_REPLY', 'bad reply from daemon: not a response object'));
        return;
      }
      this.queue.push(v);
    }
    this.wake();
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
    this.link.write(text);
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
      this.link.write(encodeGo(request({ Command: cmd })));
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
      this.link.write(encodeGo(request({ Suggest: line })));
      for (;;) {
        const r = await this.next();
        if (r.Status) continue;
        return r.Suggest ?? [];
      }
    });
  }

  close(): Promise<void> {
    return this.link.close();
  }

  /**
   * Ends the connection now, without waiting for the daemon to close its
   * side: for a client that has its last reply and is about to exit (`-e`),
   * that wait is a round trip to the daemon for nothing.
   */
  destroy(): void {
    this.link.destroy();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
