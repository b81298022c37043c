// A minimal RFB client for the daemon's own sessions (kb playback, fb
// recording): RFB 3.8 with security None, ServerInit read, then raw bytes.
import { connect, type Socket } from 'node:net';

export class RfbHandshakeError extends Error {
  readonly code = 'ERR_RFB_HANDSHAKE' as const;
}

export interface RfbSession {
  sock: Socket;
  width: number;
  height: number;
  close(): void;
}

/** Reads exactly n bytes (buffered across chunks). */
class Reader {
  #buf: Buffer = Buffer.alloc(0);
  #want: { n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  #err: Error | undefined;
  constructor(private readonly sock: Socket) {
    sock.on('data', this.#onData);
    sock.on('error', (e) => this.#fail(e));
    sock.on('close', () =>
      this.#fail(new RfbHandshakeError('connection closed during the handshake')),
    );
  }
  #onData = (c: Buffer) => {
    this.#buf = Buffer.concat([this.#buf, c]);
    this.#check();
  };
  #fail(e: Error) {
    this.#err ??= e;
    const w = this.#want;
    this.#want = undefined;
    w?.reject(this.#err);
  }
  #check() {
    const w = this.#want;
    if (w && this.#buf.length >= w.n) {
      this.#want = undefined;
      const b = this.#buf.subarray(0, w.n);
      this.#buf = this.#buf.subarray(w.n);
      w.resolve(b);
    }
  }
  read(n: number, what: string): Promise<Buffer> {
    if (this.#err) return Promise.reject(this.#err);
    return new Promise((resolve, reject) => {
      this.#want = {
        n,
        resolve,
        reject: (e) => reject(new RfbHandshakeError(`unable to read ${what}: ${e.message}`)),
      };
      this.#check();
    });
  }
  /** stop reading; bytes already buffered are handed back */
  detach(): Buffer {
    this.sock.off('data', this.#onData);
    this.sock.removeAllListeners('close');
    this.sock.removeAllListeners('error');
    this.sock.on('error', () => {});
    return this.#buf;
  }
}

export async function rfbConnect(
  socketPath: string,
  signal?: AbortSignal,
): Promise<RfbSession & { rest: Buffer }> {
  const sock = await new Promise<Socket>((resolve, reject) => {
    const s = connect(socketPath);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
  const onAbort = () => sock.destroy();
  signal?.addEventListener('abort', onAbort, { once: true });
  const r = new Reader(sock);
  try {
    const version = (await r.read(12, 'server version')).toString('latin1');
    if (!/^RFB 003\.\d{3}\n$/.test(version))
      throw new RfbHandshakeError(`invalid server version: ${JSON.stringify(version)}`);
    const v33 = version === 'RFB 003.003\n';
    sock.write(v33 ? 'RFB 003.003\n' : 'RFB 003.008\n');
    if (v33) {
      const t = (await r.read(4, 'security type')).readUInt32BE(0);
      if (t !== 1) throw new RfbHandshakeError(`invalid server security message: type ${t}`);
    } else {
      const n = (await r.read(1, 'security types'))[0]!;
      if (n === 0)
        throw new RfbHandshakeError('invalid server security message: no security types');
      const types = await r.read(n, 'security types');
      if (!types.includes(1))
        throw new RfbHandshakeError(`invalid server security message: no None in [${[...types]}]`);
      sock.write(Buffer.from([1]));
      const result = (await r.read(4, 'security result')).readUInt32BE(0);
      if (result !== 0) throw new RfbHandshakeError('invalid server security message: refused');
    }
    sock.write(Buffer.from([1])); // ClientInit: shared
    const init = await r.read(24, 'server init');
    const nameLen = init.readUInt32BE(20);
    await r.read(nameLen, 'name');
    const rest = r.detach();
    signal?.removeEventListener('abort', onAbort);
    return {
      sock,
      width: init.readUInt16BE(0),
      height: init.readUInt16BE(2),
      rest,
      close: () => sock.destroy(),
    };
  } catch (e) {
    sock.destroy();
    throw e;
  }
}

export function keyEvent(down: boolean, key: number): Buffer {
  const b = Buffer.alloc(8);
  b[0] = 4;
  b[1] = down ? 1 : 0;
  b.writeUInt32BE(key >>> 0, 4);
  return b;
}

export function pointerEvent(mask: number, x: number, y: number): Buffer {
  const b = Buffer.alloc(6);
  b[0] = 5;
  b[1] = mask;
  b.writeUInt16BE(x, 2);
  b.writeUInt16BE(y, 4);
  return b;
}

/** SetPixelFormat 32 bpp true colour (shifts 16/8/0) + SetEncodings Raw, DesktopSize. */
export function rawSetup(): Buffer {
  const pf = Buffer.alloc(20);
  pf[0] = 0;
  Buffer.from([32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0]).copy(pf, 4);
  const enc = Buffer.alloc(12);
  enc[0] = 2;
  enc.writeUInt16BE(2, 2);
  enc.writeInt32BE(0, 4);
  enc.writeInt32BE(-223, 8);
  return Buffer.concat([pf, enc]);
}

export function updateRequest(incremental: boolean, w: number, h: number): Buffer {
  const b = Buffer.alloc(10);
  b[0] = 3;
  b[1] = incremental ? 1 : 0;
  b.writeUInt16BE(w, 6);
  b.writeUInt16BE(h, 8);
  return b;
}
