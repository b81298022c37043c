// The client side of the daemon's VNC proxy socket `<base>/vnc.sock`: send
// one JSON line naming the VM, read one JSON line back, then the socket
// carries the VM's RFB stream (through the daemon hosting the VM).
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';

/** What a client asks the VNC proxy for (one JSON line). */
export interface VncRequest {
  namespace: string;
  vm: string;
  /** the mesh host running the VM; '' or absent = look here */
  host?: string;
  /** drop client input (keys, pointer, clipboard) after the RFB handshake */
  viewOnly?: boolean;
}

/** The proxy's one-line answer. */
export type VncAnswer = { ok: true; host: string } | { ok: false; error: string };

export class VncConnectError extends Error {
  readonly code = 'ERR_VNC_CONNECT' as const;
}

export function vncSocketPath(base: string): string {
  return join(base, 'vnc.sock');
}

/** Reads one `\n`-terminated line; the bytes after it are unshifted back. */
export function readLine(sock: Duplex, max = 64 * 1024, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const cleanup = () => {
      sock.off('data', onData);
      sock.off('error', onError);
      sock.off('close', onClose);
      signal?.removeEventListener('abort', onAbort);
    };
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const nl = buf.indexOf(10);
      if (nl < 0) {
        if (buf.length > max) {
          cleanup();
          reject(new VncConnectError('header line too long'));
        }
        return;
      }
      cleanup();
      sock.pause();
      const rest = buf.subarray(nl + 1);
      if (rest.length > 0) sock.unshift(rest);
      resolve(buf.subarray(0, nl).toString('utf8'));
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    const onClose = () => {
      cleanup();
      reject(new VncConnectError('connection closed before the header'));
    };
    const onAbort = () => {
      cleanup();
      reject(signal!.reason);
    };
    sock.on('data', onData);
    sock.once('error', onError);
    sock.once('close', onClose);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Connects to a VM's VNC through the daemon at `base`; resolves with the raw RFB socket (paused). */
export async function dialVnc(
  base: string,
  req: VncRequest,
  opts: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<Socket> {
  const sock = connect(vncSocketPath(base));
  const timer = setTimeout(
    () => sock.destroy(new VncConnectError('vnc proxy did not answer in time')),
    opts.timeoutMs ?? 15_000,
  );
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', (e) => reject(new VncConnectError(`dial vnc proxy: ${e.message}`)));
    });
    sock.write(`${JSON.stringify(req)}\n`);
    const line = await readLine(sock, 64 * 1024, opts.signal);
    let answer: VncAnswer;
    try {
      answer = JSON.parse(line) as VncAnswer;
    } catch {
      throw new VncConnectError(`bad answer from vnc proxy: ${line.slice(0, 80)}`);
    }
    if (!answer.ok) throw new VncConnectError(answer.error);
    return sock;
  } catch (e) {
    sock.destroy();
    throw e;
  } finally {
    clearTimeout(timer);
  }
}
