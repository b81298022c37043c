// A ClientLink on Node's pipe_wrap binding (the C++ handle under net.Socket
// for unix sockets), used by `minimega -e`: net.Socket drags in node:net and
// the whole streams stack (~25 built-in modules compiled at first use,
// ~25 M instructions: more than the rest of `-e` together). Internal
// bindings are no public API, so everything is feature-detected and
// pipeBindings() answers undefined when anything differs (another Node,
// `--pending-deprecation`, the permission model): `-e` then dials with
// net.Socket as every other client does (oneshot.ts).
import { getSystemErrorName } from 'node:util';
import { type DialOptions, dialWithRetry } from './dial-retry.js';
import type { ClientLink, LinkEvents } from './link.js';
import { ClientSession } from './session.js';

interface Req {
  oncomplete: ((status: number) => void) | undefined;
}
interface WriteReq extends Req {
  handle: PipeHandle;
  async: boolean;
}
interface PipeHandle {
  connect(req: Req, path: string): number;
  readStart(): number;
  readStop(): number;
  writeUtf8String(req: WriteReq, text: string): number;
  close(cb: () => void): void;
  onread: ((buf: ArrayBuffer | undefined) => void) | undefined;
}
interface PipeBindings {
  Pipe: new (type: number) => PipeHandle;
  PipeConnectWrap: new () => Req;
  WriteWrap: new () => WriteReq;
  socketType: number;
  /** written by C++ before each onread / after each write */
  state: Int32Array;
  kReadBytesOrError: number;
  kArrayBufferOffset: number;
  kLastWriteWasAsync: number;
}

type Binding = (name: string) => Record<string, unknown>;
const isFn = (v: unknown): v is new (...a: unknown[]) => unknown => typeof v === 'function';
const isIndex = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

let detected: PipeBindings | null | undefined;

/** The bindings, when this Node has them as expected; undefined otherwise (use net). */
export function pipeBindings(): PipeBindings | undefined {
  if (detected === undefined) detected = detect() ?? null;
  return detected ?? undefined;
}

function detect(): PipeBindings | undefined {
  try {
    const binding = (process as unknown as { binding?: Binding }).binding;
    // a wrapped process.binding warns on use (--pending-deprecation's DEP0111)
    if (typeof binding !== 'function' || binding.name !== 'binding') return undefined;
    const pipe = binding.call(process, 'pipe_wrap');
    const stream = binding.call(process, 'stream_wrap');
    const { Pipe, PipeConnectWrap } = pipe;
    const { WriteWrap, streamBaseState: state } = stream;
    const socketType = (pipe.constants as { SOCKET?: unknown } | undefined)?.SOCKET;
    const { kReadBytesOrError, kArrayBufferOffset, kLastWriteWasAsync } = stream;
    if (!(isFn(Pipe) && isFn(PipeConnectWrap) && isFn(WriteWrap))) return undefined;
    if (!(state instanceof Int32Array) || !isIndex(socketType)) return undefined;
    if (!(isIndex(kReadBytesOrError) && isIndex(kArrayBufferOffset) && isIndex(kLastWriteWasAsync)))
      return undefined;
    const proto = Pipe.prototype as Record<string, unknown>;
    for (const m of ['connect', 'readStart', 'readStop', 'writeUtf8String', 'close'])
      if (typeof proto[m] !== 'function') return undefined;
    return {
      Pipe: Pipe as PipeBindings['Pipe'],
      PipeConnectWrap: PipeConnectWrap as PipeBindings['PipeConnectWrap'],
      WriteWrap: WriteWrap as PipeBindings['WriteWrap'],
      socketType,
      state,
      kReadBytesOrError,
      kArrayBufferOffset,
      kLastWriteWasAsync,
    };
  } catch {
    // process.binding throws under the permission model
    return undefined;
  }
}

/** An errno as Node's own socket errors carry it: message `connect ENOENT /path`, code `ENOENT`. */
function errnoError(status: number, syscall: string, path?: string): NodeJS.ErrnoException {
  let name: string;
  try {
    name = getSystemErrorName(status);
  } catch {
    name = `Unknown system error ${status}`;
  }
  const e: NodeJS.ErrnoException = new Error(
    path === undefined ? `${syscall} ${name}` : `${syscall} ${name} ${path}`,
  );
  e.errno = status;
  e.code = name;
  e.syscall = syscall;
  return e;
}

class PipeLink implements ClientLink {
  private on: LinkEvents | undefined;
  private gone = false;
  private closed: Promise<void> | undefined;
  /** writes the kernel did not take at once, kept until they complete */
  private readonly pending = new Set<WriteReq>();

  constructor(
    private readonly b: PipeBindings,
    private readonly handle: PipeHandle,
  ) {}

  listen(on: LinkEvents): void {
    this.on = on;
    this.handle.onread = (buf) => this.read(buf);
    const err = this.handle.readStart();
    if (err < 0) this.fail(err, 'read');
  }

  private read(buf: ArrayBuffer | undefined): void {
    const n = this.b.state[this.b.kReadBytesOrError]!;
    if (n > 0 && buf) {
      if (!this.gone)
        this.on?.data(new Uint8Array(buf, this.b.state[this.b.kArrayBufferOffset], n));
      return;
    }
    if (n === 0) return;
    // end of stream (UV_EOF) is a close like net.Socket's (allowHalfOpen off); anything else an error
    if (getSystemErrorName(n) === 'EOF') this.destroy();
    else this.fail(n, 'read');
  }

  write(text: string): void {
    if (this.gone) return;
    const req = new this.b.WriteWrap();
    req.handle = this.handle;
    req.async = false;
    req.oncomplete = (status) => {
      this.pending.delete(req);
      if (status < 0) this.fail(status, 'write');
    };
    const err = this.handle.writeUtf8String(req, text);
    if (err < 0) this.fail(err, 'write');
    else if (this.b.state[this.b.kLastWriteWasAsync]) this.pending.add(req);
  }

  private fail(status: number, syscall: string): void {
    if (this.gone) return;
    this.on?.error(errnoError(status, syscall));
    this.destroy();
  }

  close(): Promise<void> {
    this.destroy();
    return this.closed ?? Promise.resolve();
  }

  destroy(): void {
    if (this.gone) return;
    this.gone = true;
    this.handle.readStop();
    this.closed = new Promise((resolve) => {
      this.handle.close(() => {
        this.on?.close();
        resolve();
      });
    });
  }
}

function connectPipe(b: PipeBindings, path: string): Promise<PipeLink> {
  return new Promise((resolve, reject) => {
    const handle = new b.Pipe(b.socketType);
    const req = new b.PipeConnectWrap();
    const failed = (status: number) => {
      handle.close(() => {});
      reject(errnoError(status, 'connect', path));
    };
    req.oncomplete = (status) => {
      if (status < 0) failed(status);
      else resolve(new PipeLink(b, handle));
    };
    const err = handle.connect(req, path);
    if (err < 0) failed(err);
  });
}

/**
 * A session on the daemon's socket over the pipe binding, or undefined when
 * this Node lacks it (dial with MinimegaClient.dial then). Dial errors are
 * MinimegaClient.dial's, word for word.
 */
export async function dialPipe(
  path: string,
  opts: DialOptions = {},
): Promise<ClientSession | undefined> {
  const b = pipeBindings();
  if (!b) return undefined;
  return new ClientSession(await dialWithRetry(path, opts, () => connectPipe(b, path)));
}
