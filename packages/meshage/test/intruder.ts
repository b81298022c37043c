// A hand-driven mesh node for abuse tests: it completes a real handshake
// (so it is a peer, as a key holder or any node of a keyless mesh would be)
// and then sends whatever frames the test writes.
import { derivePsk } from '../src/auth.js';
import { initiate } from '../src/handshake.js';
import type { MemoryNetwork, Mesh } from '../src/index.js';

export interface Intruder {
  send(frame: unknown): void;
  frames: unknown[];
  /** why the victim dropped the link (undefined while it is up) */
  closed(): string | undefined;
}

export async function intrude(
  net: MemoryNetwork,
  victim: Mesh,
  opts: { name?: string; key?: Uint8Array } = {},
): Promise<Intruder> {
  const t = net.createTransport();
  const raw = await t.dial(victim.address);
  const r = await initiate(
    raw,
    {
      name: opts.name ?? 'X',
      incarnation: 1,
      version: 'dev',
      ...(opts.key ? { psk: derivePsk(opts.key) } : {}),
    },
    { purpose: 'peer' },
    { timeoutMs: 2000 },
  );
  if (!r) throw new Error('handshake declined');
  const frames: unknown[] = [];
  let closed: string | undefined;
  r.link.attach({ frame: (f) => frames.push(f), close: (why) => (closed = why) });
  return {
    send: (f) => {
      if (!r.link.closed) r.link.send(f);
    },
    frames,
    closed: () => closed,
  };
}
