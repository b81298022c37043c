// Helpers for tests of code built on the mesh (this package's and others'):
// exported as `@mm/meshage/testing`, never from the main entry, so a daemon
// does not carry them.
import type { Link, Transport } from './transport.js';

export type TlsRole = 'client' | 'server';

export interface TlsSpyOptions {
  /** links cannot upgrade at all, as on a node that predates TLS links */
  readonly noTls?: boolean;
}

/**
 * `inner` with every link it dials or accepts recording its TLS upgrades
 * (the role it takes) in `upgrades`: lets a test check that keyed links and
 * streams really moved to TLS, on both ends.
 */
export function spyTlsUpgrades(
  inner: Transport,
  upgrades: TlsRole[],
  options: TlsSpyOptions = {},
): Transport {
  const spy = (link: Link): Link => {
    const start = link.startTls?.bind(link);
    if (options.noTls) link.startTls = undefined;
    else if (start) {
      link.startTls = (role, psk, opts) => {
        upgrades.push(role);
        return start(role, psk, opts);
      };
    }
    return link;
  };
  return {
    get localAddress() {
      return inner.localAddress;
    },
    byValue: inner.byValue,
    listen: (h) => inner.listen({ link: (l) => h.link(spy(l)), datagram: h.datagram }),
    dial: async (a, o) => spy(await inner.dial(a, o)),
    broadcast: (d) => inner.broadcast(d),
    close: () => inner.close(),
    [Symbol.asyncDispose]: () => inner.close(),
  };
}
