// The control socket (daemon.md §3). Each connection handles one request at a
// time and owns one writer, so replies and status messages never interleave
// inside a frame and never reach another client (fixes sharp edge 3).
// Malformed frames get an error reply and the stream resynchronises at the
// next JSON value; nothing a client sends can stop the daemon.
import { setMaxListeners } from 'node:events';
import { chmod, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import type { Batch, CallEnv } from '@mm/cli-grammar';
import { toWire } from '@mm/cli-grammar';
import { FrameTooLargeError, JsonStreamSplitter } from '../protocol/json-stream.js';
import { parseRequest } from '../protocol/schema.js';
import { encodeGo, reply, type WireReply } from '../protocol/wire.js';
import type { DaemonCore } from './core.js';
import { type Limits, limitsOf } from './limits.js';

/** most frames queued on one connection before it stops reading (back-pressure) */
const MAX_QUEUED = 256;

export interface SocketServer {
  readonly path: string;
  readonly connections: number;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

let nextClientId = 1;

/**
 * Bytes queued for clients, per connection and in total: a client that does
 * not read is disconnected once its own queue passes the per-client limit,
 * or when the total passes its limit and it holds the most (issue 14: 40
 * clients that never read used to hold 90 MB each).
 */
class SendBudget {
  constructor(
    readonly perClient: number,
    readonly total: number,
    private readonly conns: ReadonlySet<Connection>,
  ) {}

  /** after `c` wrote: the connection to drop, if any */
  overflow(c: Connection): Connection | undefined {
    if (c.queued > this.perClient) return c;
    let sum = 0;
    let biggest: Connection | undefined;
    for (const x of this.conns) {
      sum += x.queued;
      if (!biggest || x.queued > biggest.queued) biggest = x;
    }
    return sum > this.total ? biggest : undefined;
  }
}

export interface SocketClientInfo {
  kind: 'socket';
  id: number;
}

class Connection {
  private readonly splitter = new JsonStreamSplitter();
  private readonly queue: string[] = [];
  private busy = false;
  private closed = false;
  private readonly abort = new AbortController();
  private readonly id = nextClientId++;

  constructor(
    private readonly core: DaemonCore,
    private readonly socket: Socket,
    private readonly budget: SendBudget,
  ) {
    // one command may wait on this signal from many operations at once
    // (`vm launch kvm 50` dials QMP and runs qemu-img per VM): not a leak
    setMaxListeners(0, this.abort.signal);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', (e) => {
      core.log.debug(`client ${this.id}: ${e.message}`);
    });
    socket.on('close', () => {
      this.closed = true;
      if (this.probe) clearInterval(this.probe);
      this.abort.abort(new Error('client disconnected'));
    });
    socket.on('end', () => {
      // the client finished sending: complete any partial bare value, then stop when idle
      const rest = this.splitter.end();
      if (rest !== undefined && rest.trim() !== '') this.enqueue(rest);
      this.endWhenIdle = true;
      this.maybeEnd();
      this.probeWhileBusy();
    });
  }

  private probe: NodeJS.Timeout | undefined;

  /**
   * After EOF the client either half-closed (it still reads the replies) or
   * is gone: an empty write sends no byte but fails with EPIPE when nobody
   * is there, which closes the socket and aborts the running command (a
   * `vm launch` of thousands stops instead of running on for nobody).
   */
  private probeWhileBusy(): void {
    const check = () => {
      if (this.closed || this.socket.destroyed) {
        if (this.probe) clearInterval(this.probe);
        return;
      }
      if (this.busy) this.socket.write('');
    };
    check();
    this.probe ??= setInterval(check, 1000);
    this.probe.unref();
  }

  private endWhenIdle = false;

  private maybeEnd(): void {
    if (this.endWhenIdle && !this.busy && this.queue.length === 0 && !this.closed)
      this.socket.end();
  }

  private onData(chunk: Buffer): void {
    let texts: string[];
    try {
      texts = this.splitter.push(chunk);
    } catch (e) {
      if (e instanceof FrameTooLargeError) {
        this.write(this.errorReply(`malformed request: ${e.message}`));
        this.socket.end();
        return;
      }
      throw e;
    }
    for (const t of texts) this.enqueue(t);
  }

  private enqueue(text: string): void {
    this.queue.push(text);
    if (this.queue.length >= MAX_QUEUED) this.socket.pause();
    if (!this.busy) void this.pump();
  }

  private async pump(): Promise<void> {
    this.busy = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const text = this.queue.shift()!;
        if (this.queue.length < MAX_QUEUED / 2 && this.socket.isPaused()) this.socket.resume();
        try {
          await this.handle(text);
        } catch (e) {
          this.core.log.error(`client ${this.id}: ${(e as Error).message}`);
          this.write(this.errorReply((e as Error).message));
        }
      }
    } finally {
      this.busy = false;
      this.maybeEnd();
    }
  }

  private errorReply(error: string): WireReply {
    return reply({
      Resp: [
        {
          Host: this.core.hostname,
          Response: '',
          Header: null,
          Tabular: null,
          Error: error,
          Data: null,
        },
      ],
      More: false,
    });
  }

  /** bytes written to this client and not yet taken by the kernel */
  get queued(): number {
    return this.socket.destroyed ? 0 : this.socket.writableLength;
  }

  /** Drop a client that does not read (its queued replies are freed). */
  private drop(why: string): void {
    this.core.log.warn(`client ${this.id}: ${why}; disconnecting`);
    this.closed = true;
    this.socket.destroy();
  }

  /** Write one frame; resolves when the socket can take more. */
  private write(r: WireReply): Promise<void> | undefined {
    if (this.closed || this.socket.destroyed || !this.socket.writable) return undefined;
    let frame = encodeGo(r);
    if (frame.length > this.budget.perClient) {
      // too big for any client's queue: a clear error in its place
      const bytes = Buffer.byteLength(frame);
      if (bytes > this.budget.perClient) {
        frame = encodeGo({
          ...this.errorReply(
            `reply of ${bytes} bytes is larger than the client buffer limit of ${this.budget.perClient} bytes (raise it with -max-client-buffer, or narrow the output with .columns/.filter)`,
          ),
          More: r.More ?? false,
        });
      }
    }
    const ok = this.socket.write(frame);
    const over = this.budget.overflow(this);
    if (over) {
      over.drop(
        over === this
          ? `not reading: ${this.queued} bytes of replies queued, limit ${this.budget.perClient} (-max-client-buffer)`
          : `not reading: ${over.queued} bytes queued while clients hold more than ${this.budget.total} (-max-send-buffers)`,
      );
      if (over === this) return undefined;
    }
    if (ok) return undefined;
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  private async handle(text: string): Promise<void> {
    const parsed = parseRequest(text);
    if (!parsed.ok) {
      this.core.log.debug(`client ${this.id}: ${parsed.error}`);
      await this.write(this.errorReply(parsed.error));
      return;
    }
    const { Command: command, Suggest: suggest, PlumbPipe: pipe } = parsed.request;
    if (pipe !== '') {
      await this.write(this.errorReply('named pipes (PlumbPipe) are not implemented yet'));
      return;
    }
    if ((command === '') === (suggest === '')) {
      await this.write(this.errorReply('must specify either command or suggest'));
      return;
    }
    if (suggest !== '') {
      const cands = await this.core.complete(suggest);
      await this.write(reply({ Suggest: cands }));
      return;
    }
    await this.runCommand(command);
  }

  private async runCommand(command: string): Promise<void> {
    const client: SocketClientInfo = { kind: 'socket', id: this.id };
    const env: CallEnv = {
      signal: this.abort.signal,
      status: (msg) => {
        void this.write(reply({ Rendered: msg, Status: true, More: false }));
      },
      client,
    };
    // hold one batch back so the last one can carry More=false
    let held: Batch | undefined;
    let writeFailed = false;
    for await (const batch of this.core.execute(command, env, { aliases: true })) {
      if (held && !writeFailed) writeFailed = !(await this.sendBatch(held, true));
      held = batch;
    }
    if (writeFailed) return; // the rest was drained and dropped
    if (held) await this.sendBatch(held, false);
    // a blank or comment line answers `Resp: null` (as minimega); a command
    // that stopped the daemon (`quit`, `nuke`) answers nothing: the client sees EOF
    else if (!this.core.stopping)
      await this.write(reply({ Resp: null, Rendered: '', More: false }));
  }

  private async sendBatch(batch: Batch, more: boolean): Promise<boolean> {
    if (this.closed) return false;
    let rendered: string;
    try {
      rendered = this.core.cli.render(batch);
    } catch (e) {
      rendered = `render error: ${(e as Error).message}`;
    }
    await this.write(reply({ Resp: batch.map(toWire), Rendered: rendered, More: more }));
    return !this.closed;
  }

  /** Abort the command running for this client (the daemon is stopping). */
  cancel(): void {
    this.abort.abort(new Error('daemon shutting down'));
  }

  /** Close: let the reply being written go out, then drop the connection. */
  shutdown(): void {
    this.abort.abort(new Error('daemon shutting down'));
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 500).unref();
  }
}

/** Listen on `path` (the caller has checked nobody else is). */
export async function startSocketServer(
  core: DaemonCore,
  path: string,
  limits: Pick<Limits, 'maxClientBuffer' | 'maxSendBuffers'> = limitsOf(core.flags),
): Promise<SocketServer> {
  const conns = new Set<Connection>();
  const budget = new SendBudget(limits.maxClientBuffer, limits.maxSendBuffers, conns);
  // allowHalfOpen: a client may send its requests and shut its side; it still gets the replies
  const server: Server = createServer({ allowHalfOpen: true }, (sock) => {
    const c = new Connection(core, sock, budget);
    conns.add(c);
    sock.on('close', () => conns.delete(c));
  });
  server.maxConnections = 4096;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (e) => core.log.error(`control socket: ${e.message}`));
  await chmod(path, 0o770).catch(() => {});
  // registered after every module, so it runs first at shutdown: commands in
  // flight (a long launch, a shell) see their signal abort before the modules
  // tear down what they were working on
  core.onShutdown('control socket commands', () => {
    for (const c of conns) c.cancel();
  });
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const done = new Promise<void>((r) => server.close(() => r()));
      for (const c of conns) c.shutdown();
      await done;
      await rm(path, { force: true });
    })();
    return closing;
  };
  return {
    path,
    get connections() {
      return conns.size;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
