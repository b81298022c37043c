// A transport wrapper that lets a test see and rewrite every frame a node
// sends: the position of an attacker on the wire.
import type { Link, LinkHandlers, Transport } from '../src/index.js';

/** returns the frames to really send in place of `frame` (none drops it) */
export type SendHook = (frame: unknown) => unknown[];

class TappedLink implements Link {
  constructor(
    private readonly inner: Link,
    private readonly hook: () => SendHook,
  ) {}
  get remoteAddress(): string {
    return this.inner.remoteAddress;
  }
  get closed(): boolean {
    return this.inner.closed;
  }
  attach(handlers: LinkHandlers): void {
    this.inner.attach(handlers);
  }
  send(frame: unknown): void {
    for (const f of this.hook()(frame)) this.inner.send(f);
  }
  close(reason?: string): void {
    this.inner.close(reason);
  }
}

export function tapTransport(inner: Transport): { transport: Transport; set(h: SendHook): void } {
  let hook: SendHook = (f) => [f];
  const transport: Transport = {
    get localAddress() {
      return inner.localAddress;
    },
    get trusted() {
      return inner.trusted;
    },
    addresses: () => inner.addresses?.() ?? [inner.localAddress],
    listen: (handlers) =>
      inner.listen({
        link: (l) => handlers.link(new TappedLink(l, () => hook)),
        datagram: handlers.datagram,
      }),
    dial: async (address, opts) => new TappedLink(await inner.dial(address, opts), () => hook),
    broadcast: (data) => inner.broadcast(data),
    close: () => inner.close(),
    [Symbol.asyncDispose]: () => inner.close(),
  };
  return {
    transport,
    set(h) {
      hook = h;
    },
  };
}
