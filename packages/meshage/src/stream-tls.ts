// TLS 1.3 with an external pre-shared key over a connection whose Noise
// handshake just finished: the record layer of bulk stream connections.
// Node seals and opens TLS records in C++ into buffers OpenSSL reuses,
// where the Noise channel needs a fresh cipher object and fresh output
// buffers per record from JavaScript (bench/private.ts: the stream rate of a
// sealed channel was half the clear one's). The key is never the mesh key
// nor a Noise transport key: it is exported from the finished handshake
// (NoiseHandshake.exportKey), so only the two ends of that handshake know it
// and a TLS session is bound to it. Certificates play no part: the PSK
// authenticates both ends, and TLS 1.3's (EC)DHE mode adds fresh keys.
import type { Socket } from 'node:net';
import { connect, createSecureContext, type SecureContext, TLSSocket } from 'node:tls';
import type { FrameReader } from './framing.js';

/**
 * TLS 1.3 only; AES-128-GCM with SHA-256 (OpenSSL's PSK callbacks give a
 * SHA-256 key schedule, which the SHA-384 suites cannot use).
 */
const CIPHER = 'TLS_AES_128_GCM_SHA256';
/** the PSK identity both ends use (sent in clear; says nothing about the key) */
export const STREAM_PSK_IDENTITY = 'meshage-stream/1';

let context: SecureContext | undefined;
function secureContext(): SecureContext {
  context ??= createSecureContext({
    minVersion: 'TLSv1.3',
    maxVersion: 'TLSv1.3',
    ciphers: CIPHER,
  });
  return context;
}

/**
 * Wraps `socket` (nothing of it read or queued beyond the Noise handshake)
 * in TLS 1.3 under `psk`; resolves once the TLS handshake is complete, which
 * proves that the other end holds the same key. Rejects on a key mismatch,
 * a tampered handshake or a closed socket, having destroyed both sockets.
 * `early` (client only): resolves once the client hello is sent; the
 * handshake's failure or timeout then destroys both sockets instead.
 */
export function startStreamTls(
  socket: Socket,
  role: 'client' | 'server',
  psk: Buffer,
  reader?: FrameReader,
  early?: { timeoutMs: number },
): Promise<{ tls: TLSSocket; readsInto: boolean }> {
  return new Promise((resolve, reject) => {
    const common = {
      secureContext: secureContext(),
      minVersion: 'TLSv1.3' as const,
      maxVersion: 'TLSv1.3' as const,
      ciphers: CIPHER,
    };
    const tls =
      role === 'server'
        ? new TLSSocket(socket, {
            ...common,
            isServer: true,
            // Node reads pskCallback for server sockets too; @types/node lists it for tls.Server only
            ...({
              pskCallback: (_s: TLSSocket, identity: string) =>
                identity === STREAM_PSK_IDENTITY ? psk : null,
            } as object),
          })
        : connect({
            ...common,
            socket,
            pskCallback: () => ({ psk, identity: STREAM_PSK_IDENTITY }),
            // no certificates: the PSK is what authenticates the server
            checkServerIdentity: () => undefined,
          });
    // before any record is read: plaintext that arrives with the end of the handshake lands there too
    const readsInto = reader !== undefined && readPlaintextInto(tls, reader);
    if (early && role === 'client') {
      // the caller writes at once: TLS holds application data until its
      // handshake is complete. A handshake that fails, or has not completed
      // in time, destroys both sockets (the caller's link sees them close).
      const timer = setTimeout(
        () => tls.destroy(new Error('TLS handshake timed out')),
        early.timeoutMs,
      );
      timer.unref();
      const giveUp = () => {
        clearTimeout(timer);
        tls.destroy();
        socket.destroy();
      };
      tls.once('secureConnect', () => clearTimeout(timer));
      tls.on('error', giveUp);
      tls.once('close', giveUp);
      resolve({ tls, readsInto });
      return;
    }
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      tls.destroy();
      socket.destroy();
      reject(err);
    };
    const closed = () => fail(new Error('connection closed during the TLS handshake'));
    tls.once('error', fail);
    tls.once('close', closed);
    tls.once(role === 'server' ? 'secure' : 'secureConnect', () => {
      if (settled) return;
      settled = true;
      tls.off('error', fail);
      tls.off('close', closed);
      if (role === 'server') releaseControl(tls);
      resolve({ tls, readsInto });
    });
  });
}

/**
 * A server TLSSocket made without a tls.Server keeps its errors to itself
 * (Node emits them as '_tlsError' until `_releaseControl()`, which only
 * tls.Server calls): a tampered record would then stall the stream instead
 * of closing it. Release control as tls.Server does once the socket is
 * secure, so errors reach 'error'; should a Node lack the method, destroy on
 * the internal event instead (test/stream-tls.test.ts checks either way).
 */
function releaseControl(tls: TLSSocket): void {
  const internal = tls as unknown as { _releaseControl?: () => boolean };
  if (typeof internal._releaseControl === 'function') internal._releaseControl();
  else tls.on('_tlsError', (err: Error) => tls.destroy(err));
}

/**
 * Makes the TLS socket decrypt straight into the buffers `reader` offers,
 * as `net.connect`'s `onread` option does for a plain socket (Node ignores
 * `onread` when a TLS socket wraps an existing one): OpenSSL's plaintext is
 * copied from its record buffer into the frame being received, with no
 * fresh 16 KiB buffer, no readable-stream push and no joining copy per
 * record. Uses the three per-socket fields net.Socket keeps for `onread`
 * (found by their symbols' names) and the handle's `useUserBuffer`; false,
 * changing nothing, where a Node lacks them (the socket then emits 'data').
 */
function readPlaintextInto(tls: TLSSocket, reader: FrameReader): boolean {
  const sym = (name: string) =>
    Object.getOwnPropertySymbols(tls).find((s) => s.description === name);
  const kBuffer = sym('kBuffer');
  const kBufferCb = sym('kBufferCb');
  const kBufferGen = sym('kBufferGen');
  const handle = (tls as unknown as { _handle?: { useUserBuffer?: (b: Uint8Array) => void } })
    ._handle;
  if (!kBuffer || !kBufferCb || !kBufferGen || typeof handle?.useUserBuffer !== 'function') {
    return false;
  }
  const fields = tls as unknown as Record<symbol, unknown>;
  const first = reader.buffer();
  fields[kBufferGen] = () => reader.buffer();
  fields[kBufferCb] = (n: number) => {
    reader.onRead(n);
    return true;
  };
  fields[kBuffer] = first;
  handle.useUserBuffer(first);
  return true;
}
