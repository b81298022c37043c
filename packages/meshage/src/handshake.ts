// The link handshake, one function per role. With a mesh key it is the
// Noise NNpsk0 handshake (noise.ts): the dialer's first message already
// proves the key, the acceptor checks it before it sends anything that
// depends on the key, and each side's payload (name, incarnation, version,
// intent) is bound into one transcript with both ephemeral keys, both roles
// (the pattern is asymmetric) and the protocol version (the prologue). The
// dialer then sends a `ready` frame through the new channel, which proves to
// the acceptor that it completed the same handshake (a replayed message 1
// cannot). Without a key the same messages travel in clear and nothing is
// proven (minimega's behaviour).
//
//   dialer                                acceptor
//   hs1 {v, k, e, sealed DialerHello}  ->  verify, decide
//                                      <-  hs2 {v, k, e, sealed AcceptorHello}
//   ready (first channel frame)        ->  register
//
// (with TLS: the dialer registers a mesh link once hs2 verified and its TLS
// client hello is sent; the acceptor registers it once TLS completes)
//
// A keyed link on a transport that can (TCP), mesh link or stream, continues
// as TLS 1.3 instead of `ready`: the dialer offers it in its hello, the
// acceptor takes it in its own, and both wrap the connection in TLS under a
// PSK exported from this handshake (stream-tls.ts). The TLS handshake is
// then the dialer's proof of having completed the Noise handshake, and the
// records are sealed by OpenSSL in C++ rather than record by record from
// JavaScript: a Noise channel record costs a Node cipher object each way
// (~5 µs of CPU for a 100-byte frame, bench/aead.ts), a TLS record ~1 µs,
// which is most of what a private `mesh send all` cost over a clear one.
// The offer and its acceptance travel in the sealed, transcript-bound
// hellos, so nobody on the path can strip them; a node that does not offer
// or take TLS (an older one, or a transport without it) keeps the Noise
// channel, so both kinds of node link with each other.
import { randomBytes } from 'node:crypto';
import { ChannelLink } from './channel.js';
import { decode, encode } from './codec.js';
import {
  AlreadyConnectedError,
  AuthError,
  DialSelfError,
  HandshakeError,
  type MeshError,
  NoHandlerError,
} from './errors.js';
import { DecryptError, NoiseHandshake } from './noise.js';
import type { Link } from './transport.js';
import {
  type AcceptorHello,
  acceptorHello,
  type DialerHello,
  dialerHello,
  hs1Frame,
  hs2Frame,
  PROTOCOL_VERSION,
} from './wire.js';

const PROLOGUE = Buffer.from(`minimega-meshage/${PROTOCOL_VERSION}`);
/**
 * label of the TLS PSK exported from a finished handshake (mesh links and
 * streams alike: the purpose is in the transcript the key is bound to; the
 * label's text predates mesh links over TLS and stays for compatibility)
 */
const TLS_LABEL = 'meshage stream tls psk';

export interface LocalIdentity {
  name: string;
  incarnation: number;
  version: string;
  /** the Noise psk (derived from the mesh key), undefined without a key */
  psk?: Uint8Array;
}

export interface Intent {
  purpose: 'peer' | 'stream';
  proto?: string;
  /** the node we mean to reach (refused by any other) */
  to?: string;
}

export interface Handshaken<H> {
  hello: H;
  link: ChannelLink;
}

/** acceptor's verdict on a verified message 1 */
export type Admission = { ok: true; soliciting: boolean } | { ok: false; error: MeshError };

/** a refusal the acceptor sends inside its (authenticated) message 2 */
function refusalCode(err: MeshError): { code: string; msg: string } {
  return { code: err.code, msg: err.message };
}

function errorFromRefusal(host: string, code: string | undefined, msg: string): MeshError {
  switch (code) {
    case 'ERR_MESH_DIAL_SELF':
      return new DialSelfError();
    case 'ERR_MESH_ALREADY_CONNECTED':
      return new AlreadyConnectedError(host);
    case 'ERR_MESH_NO_HANDLER':
      return Object.assign(new NoHandlerError(host, ''), { message: msg });
    case 'ERR_MESH_AUTH':
      return new AuthError(msg);
    default:
      return new HandshakeError(msg);
  }
}

/**
 * Common plumbing: attach to the raw link, one timer, settle once. `step`
 * handles each handshake frame and returns true once it handed the link over.
 */
function run<T>(
  link: Link,
  timeoutMs: number,
  body: (ctx: {
    resolve: (v: T) => void;
    fail: (err: MeshError | undefined, closeNow?: boolean) => void;
    onFrame: (f: (raw: unknown) => void) => void;
  }) => void,
): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve, reject) => {
    let done = false;
    let frameHandler: (raw: unknown) => void = () => {};
    const timer = setTimeout(() => {
      const was = done;
      done = true;
      link.close('handshake timed out');
      if (!was) reject(new HandshakeError('handshake timed out'));
    }, timeoutMs);
    timer.unref();
    const ctx = {
      resolve: (v: T) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(v);
      },
      fail: (err: MeshError | undefined, closeNow = true) => {
        if (done) return;
        done = true;
        if (closeNow) {
          clearTimeout(timer);
          link.close(err?.message ?? 'declined');
        }
        // otherwise the timer closes the link: the remote reads our refusal and hangs up first
        if (err) reject(err);
        else resolve(undefined);
      },
      onFrame: (f: (raw: unknown) => void) => {
        frameHandler = f;
      },
    };
    link.attach({
      frame: (raw) => {
        if (done) return;
        try {
          frameHandler(raw);
        } catch (err) {
          ctx.fail(
            err instanceof DecryptError
              ? new AuthError(`${link.remoteAddress} failed mesh key authentication`)
              : new HandshakeError(
                  `malformed handshake: ${err instanceof Error ? err.message : err}`,
                ),
          );
        }
      },
      close: (why) => ctx.fail(new HandshakeError(`connection closed during handshake: ${why}`)),
    });
    body(ctx);
  });
}

function parse<T>(schema: { parse(v: unknown): T }, bytes: Uint8Array): T {
  return schema.parse(decode(bytes));
}

/** Dialer side. Resolves undefined when `decide` declines quietly. */
export function initiate(
  link: Link,
  me: LocalIdentity,
  intent: Intent,
  opts: {
    timeoutMs: number;
    /** after the acceptor's hello: an error refuses, 'decline' hangs up quietly */
    decide?: (h: AcceptorHello, nonce: Uint8Array) => MeshError | 'decline' | undefined;
  },
): Promise<(Handshaken<AcceptorHello> & { nonce: Uint8Array }) | undefined> {
  const nonce = randomBytes(16);
  const offerTls = me.psk !== undefined && link.startTls !== undefined;
  return run(link, opts.timeoutMs, ({ resolve, fail, onFrame }) => {
    const payload: DialerHello = {
      name: me.name,
      inc: me.incarnation,
      version: me.version,
      nonce,
      purpose: intent.purpose,
      ...(intent.proto ? { proto: intent.proto } : {}),
      ...(intent.to ? { to: intent.to } : {}),
      ...(offerTls ? { tls: true } : {}),
    };
    const noise = me.psk ? new NoiseHandshake('initiator', me.psk, PROLOGUE) : undefined;
    const m1 = noise ? noise.writeMessage1(encode(payload)) : { p: encode(payload) };
    onFrame((raw) => {
      const f = hs2Frame.parse(raw);
      const where = link.remoteAddress;
      if (f.refuse === 'version' || f.v !== PROTOCOL_VERSION) {
        return fail(
          new HandshakeError(`protocol version mismatch: ours ${PROTOCOL_VERSION}, theirs ${f.v}`),
        );
      }
      if (f.refuse === 'key' || f.k !== (noise !== undefined)) {
        return fail(
          new AuthError(noise ? `${where} has no mesh key` : `${where} requires a mesh key`),
        );
      }
      if (f.refuse === 'auth') return fail(new AuthError(`${where} refused our mesh key`));
      if (!f.p) return fail(new HandshakeError('malformed handshake reply'));
      const plain = noise ? noise.readMessage2({ e: f.e ?? new Uint8Array(), p: f.p }) : f.p;
      const h = parse(acceptorHello, plain);
      if (h.name === me.name) return fail(new DialSelfError());
      if (!h.ok) return fail(errorFromRefusal(h.name, h.code, h.msg ?? 'refused'));
      if (intent.to && h.name !== intent.to) {
        return fail(new HandshakeError(`reached ${h.name}, not ${intent.to}`));
      }
      const verdict = opts.decide?.(h, nonce);
      if (verdict === 'decline') return fail(undefined);
      if (verdict) return fail(verdict);
      if (noise && offerTls && h.tls === true) {
        const psk = noise.exportKey(TLS_LABEL);
        // a mesh link is ours as soon as the acceptor's sealed hello proved
        // its key (as on the Noise channel): its frames wait in the TLS
        // socket until the TLS handshake completes, which saves dial() a
        // round trip and both ends' TLS work. The acceptor admits us only
        // after TLS (our proof); a failed TLS handshake closes the link.
        // A stream waits for TLS: its opener learns a failure from openStream().
        const early = intent.purpose === 'peer' ? { early: { timeoutMs: opts.timeoutMs } } : {};
        (link.startTls as NonNullable<Link['startTls']>).call(link, 'client', psk, early).then(
          (tls) => {
            const channel = new ChannelLink(tls, undefined, 'tls');
            channel.established();
            resolve({ hello: h, link: channel, nonce });
          },
          (err: Error) =>
            fail(new AuthError(`${where}: stream TLS handshake failed: ${err.message}`)),
        );
        return;
      }
      const channel = new ChannelLink(link, noise?.split());
      try {
        channel.send({ t: 'ready' });
      } catch {
        return fail(new HandshakeError('connection closed during handshake'));
      }
      channel.established();
      resolve({ hello: h, link: channel, nonce });
    });
    try {
      link.send({ t: 'hs1', v: PROTOCOL_VERSION, k: noise !== undefined, ...m1 });
    } catch {
      fail(new HandshakeError('connection closed before the handshake'));
    }
  }) as Promise<(Handshaken<AcceptorHello> & { nonce: Uint8Array }) | undefined>;
}

/** Acceptor side. `admit` sees only a hello whose key proof checked out. */
export function respond(
  link: Link,
  me: LocalIdentity,
  opts: { timeoutMs: number; admit: (h: DialerHello) => Admission },
): Promise<Handshaken<DialerHello>> {
  return run<Handshaken<DialerHello>>(link, opts.timeoutMs, ({ resolve, fail, onFrame }) => {
    const noise = me.psk ? new NoiseHandshake('responder', me.psk, PROLOGUE) : undefined;
    const refuse = (why: 'version' | 'key' | 'auth', err: MeshError) => {
      try {
        link.send({ t: 'hs2', v: PROTOCOL_VERSION, k: noise !== undefined, refuse: why });
      } catch {
        // closed already
      }
      fail(err, false);
    };
    onFrame((raw) => {
      const head = raw as { t?: unknown; v?: unknown; k?: unknown };
      if (head?.t !== 'hs1') return fail(new HandshakeError('malformed handshake'));
      if (head.v !== PROTOCOL_VERSION) {
        return refuse(
          'version',
          new HandshakeError(
            `protocol version mismatch: ours ${PROTOCOL_VERSION}, theirs ${head.v}`,
          ),
        );
      }
      const f = hs1Frame.parse(raw);
      if (f.k !== (noise !== undefined)) {
        return refuse(
          'key',
          new AuthError(
            noise
              ? `${link.remoteAddress} has no mesh key`
              : `${link.remoteAddress} requires a mesh key`,
          ),
        );
      }
      let plain: Uint8Array;
      try {
        plain = noise ? noise.readMessage1({ e: f.e ?? new Uint8Array(), p: f.p }) : f.p;
      } catch {
        return refuse(
          'auth',
          new AuthError(`${link.remoteAddress} failed mesh key authentication`),
        );
      }
      const h = parse(dialerHello, plain);
      let verdict: Admission;
      if (h.name === me.name || h.inc === me.incarnation) {
        verdict = { ok: false, error: new DialSelfError() };
      } else if (h.to !== undefined && h.to !== me.name) {
        verdict = { ok: false, error: new HandshakeError(`this is ${me.name}, not ${h.to}`) };
      } else {
        verdict = opts.admit(h);
      }
      const takeTls =
        noise !== undefined && verdict.ok && h.tls === true && link.startTls !== undefined;
      const reply: AcceptorHello = {
        name: me.name,
        inc: me.incarnation,
        version: me.version,
        soliciting: verdict.ok && verdict.soliciting,
        ok: verdict.ok,
        ...(verdict.ok ? {} : refusalCode(verdict.error)),
        ...(takeTls ? { tls: true } : {}),
      };
      const m2 = noise ? noise.writeMessage2(encode(reply)) : { p: encode(reply) };
      try {
        link.send({ t: 'hs2', v: PROTOCOL_VERSION, k: noise !== undefined, ...m2 });
      } catch {
        return fail(new HandshakeError('connection closed during handshake'));
      }
      if (!verdict.ok) return fail(verdict.error, false);
      if (noise && takeTls) {
        // nothing more is read as frames: the dialer's next bytes are its TLS hello
        const psk = noise.exportKey(TLS_LABEL);
        (link.startTls as NonNullable<Link['startTls']>).call(link, 'server', psk).then(
          (tls) => {
            const channel = new ChannelLink(tls, undefined, 'tls');
            channel.established();
            resolve({ hello: h, link: channel });
          },
          (err: Error) =>
            fail(
              new AuthError(`${link.remoteAddress}: stream TLS handshake failed: ${err.message}`),
            ),
        );
        return;
      }
      const channel = new ChannelLink(link, noise?.split());
      channel.attach({
        frame: (first) => {
          channel.detach();
          if ((first as { t?: unknown })?.t !== 'ready') {
            return fail(new HandshakeError('malformed handshake: expected ready'));
          }
          channel.established();
          resolve({ hello: h, link: channel });
        },
        close: (why) => fail(new HandshakeError(`connection closed during handshake: ${why}`)),
      });
    });
  }) as Promise<Handshaken<DialerHello>>;
}
