// A QMP client over a unix socket (vm-qemu.md §8): greeting, capabilities,
// commands matched to replies by id, async events, timeouts, typed errors.
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { z } from 'zod';
import { QmpClosedError, QmpCommandError, QmpProtocolError, QmpTimeoutError } from './errors.js';

const greetingSchema = z.object({
  QMP: z.object({ version: z.unknown(), capabilities: z.unknown() }),
});
const eventSchema = z.object({
  event: z.string(),
  data: z.unknown().optional(),
  timestamp: z.object({ seconds: z.number(), microseconds: z.number() }).optional(),
});
const replySchema = z.union([
  z.object({ return: z.unknown(), id: z.unknown().optional() }),
  z.object({
    error: z.object({ class: z.string(), desc: z.string() }),
    id: z.unknown().optional(),
  }),
]);

export type QmpEvent = z.infer<typeof eventSchema>;
export type QmpReply = z.infer<typeof replySchema>;

export interface QmpConnectOptions {
  /** the unix socket path (`<instance>/qmp`) */
  path: string;
  /** per-step timeout (connect, greeting, each reply); default 5000 ms */
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface Pending {
  resolve: (r: QmpReply) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** One QMP connection. Replies carry our `id`, so concurrent commands never mix. */
export class QmpClient {
  readonly events = new EventEmitter<{ event: [QmpEvent]; close: [] }>();
  #sock: Socket;
  #buf = '';
  #nextId = 1;
  #pending = new Map<string, Pending>();
  /** replies without an id (raw commands sent as typed) in arrival order */
  #anon: Pending[] = [];
  #closed = false;
  #timeoutMs: number;
  #greeting: ((v: unknown) => void) | undefined;
  #fail: ((e: Error) => void) | undefined;

  private constructor(sock: Socket, timeoutMs: number) {
    this.#sock = sock;
    this.#timeoutMs = timeoutMs;
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => this.#onData(d));
    sock.on('close', () => this.#onClose(new QmpClosedError('qmp connection closed')));
    sock.on('error', (e) =>
      this.#onClose(new QmpClosedError(`qmp connection error: ${e.message}`, { cause: e })),
    );
  }

  /** Connects, reads the greeting and negotiates capabilities. */
  static async connect(opts: QmpConnectOptions): Promise<QmpClient> {
    const timeoutMs = opts.timeoutMs ?? 5000;
    const sock = await new Promise<Socket>((resolve, reject) => {
      const s = connect(opts.path);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new QmpTimeoutError(`qmp timeout connecting to ${opts.path}`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(new QmpClosedError(`unable to connect to qmp socket: ${e.message}`, { cause: e }));
      });
    });
    const c = new QmpClient(sock, timeoutMs);
    const onAbort = () => c.close();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await c.#waitGreeting();
      const r = await c.execute('qmp_capabilities');
      if (r === undefined) throw new QmpProtocolError('qmp_capabilities: no return');
      return c;
    } catch (err) {
      c.close();
      throw err;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  #waitGreeting(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#greeting = undefined;
        reject(new QmpTimeoutError('qmp timeout waiting for greeting'));
      }, this.#timeoutMs);
      this.#greeting = (v) => {
        clearTimeout(timer);
        this.#greeting = undefined;
        this.#fail = undefined;
        if (greetingSchema.safeParse(v).success) resolve();
        else reject(new QmpProtocolError(`not a QMP greeting: ${JSON.stringify(v)}`));
      };
      this.#fail = (e) => {
        clearTimeout(timer);
        reject(e);
      };
    });
  }

  #onData(d: string): void {
    this.#buf += d;
    let nl = this.#buf.indexOf('\n');
    while (nl >= 0) {
      const line = this.#buf.slice(0, nl).trim();
      this.#buf = this.#buf.slice(nl + 1);
      if (line !== '') this.#onLine(line);
      nl = this.#buf.indexOf('\n');
    }
  }

  #onLine(line: string): void {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      this.#protocolFailure(new QmpProtocolError(`invalid JSON from qmp: ${line.slice(0, 200)}`));
      return;
    }
    if (this.#greeting) {
      this.#greeting(v);
      return;
    }
    const ev = eventSchema.safeParse(v);
    if (ev.success && typeof (v as { event?: unknown }).event === 'string') {
      this.events.emit('event', ev.data);
      return;
    }
    const r = replySchema.safeParse(v);
    if (!r.success) {
      this.#protocolFailure(new QmpProtocolError(`unexpected qmp message: ${line.slice(0, 200)}`));
      return;
    }
    const id = r.data.id;
    // our ids start with `mm-`; anything else answers a raw message, in order
    const ours = typeof id === 'string' && id.startsWith('mm-');
    const p = ours ? this.#pending.get(id) : this.#anon.shift();
    if (!p) return; // a reply nobody waits for any more (timed out)
    if (ours) this.#pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(r.data);
  }

  /** Every command waiting for an answer (and the waiter for the greeting) fails with `e`. */
  #failAll(e: Error): void {
    this.#fail?.(e);
    for (const p of [...this.#pending.values(), ...this.#anon]) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    this.#pending.clear();
    this.#anon = [];
  }

  #protocolFailure(e: Error): void {
    // garbage on the wire: nothing after it can be trusted
    this.#failAll(e);
    this.close();
  }

  #onClose(e: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#failAll(e);
    this.events.emit('close');
  }

  get closed(): boolean {
    return this.#closed;
  }

  #send(msg: Record<string, unknown>, useId: boolean, timeoutMs: number): Promise<QmpReply> {
    if (this.#closed) return Promise.reject(new QmpClosedError('qmp connection closed'));
    return new Promise((resolve, reject) => {
      const id = useId ? `mm-${this.#nextId++}` : undefined;
      const p: Pending = {
        resolve,
        reject,
        timer: setTimeout(() => {
          if (id) this.#pending.delete(id);
          else this.#anon = this.#anon.filter((x) => x !== p);
          reject(new QmpTimeoutError(`qmp timeout waiting for reply to ${String(msg.execute)}`));
        }, timeoutMs),
      };
      if (id) this.#pending.set(id, p);
      else this.#anon.push(p);
      this.#sock.write(`${JSON.stringify(id ? { ...msg, id } : msg)}\n`);
    });
  }

  /** Runs a command; resolves with its `return`, rejects with QmpCommandError on `error`. */
  async execute(
    command: string,
    args?: Record<string, unknown>,
    opts: { timeoutMs?: number } = {},
  ): Promise<unknown> {
    const msg: Record<string, unknown> = { execute: command };
    if (args) msg.arguments = args;
    const r = await this.#send(msg, true, opts.timeoutMs ?? this.#timeoutMs);
    if ('error' in r) throw new QmpCommandError(r.error.class, r.error.desc);
    return r.return;
  }

  /** Sends a raw message (as `vm qmp` does) and returns the reply as QEMU sent it, minus our id. */
  async raw(msg: Record<string, unknown>, opts: { timeoutMs?: number } = {}): Promise<QmpReply> {
    const hasId = 'id' in msg;
    const r = await this.#send(msg, !hasId, opts.timeoutMs ?? this.#timeoutMs);
    if (!hasId) delete r.id;
    return r;
  }

  /** A human-monitor command; returns its text output. */
  async hmp(commandLine: string): Promise<string> {
    const r = await this.execute('human-monitor-command', { 'command-line': commandLine });
    return typeof r === 'string' ? r : '';
  }

  close(): void {
    if (!this.#closed) this.#sock.destroy();
    this.#onClose(new QmpClosedError('qmp connection closed'));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }
}
