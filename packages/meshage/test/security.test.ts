// Attacks on the mesh key, played by a client that never holds the key.
import { afterEach, describe, expect, test } from 'vitest';
import { encode } from '../src/codec.js';
import {
  createMemoryNetwork,
  createMesh,
  defineKind,
  type Link,
  type Mesh,
  type MeshOptions,
} from '../src/index.js';
import { tapTransport } from './tap.js';
import { uniqueContext, until } from './util.js';

const key = Buffer.from('0123456789abcdef0123456789abcdef');
const Shell = defineKind<string, string>('sec.shell');

interface Tap {
  link: Link;
  frames: Record<string, unknown>[];
  closed: string[];
}

function tap(link: Link): Tap {
  const t: Tap = { link, frames: [], closed: [] };
  link.attach({
    frame: (f) => t.frames.push(f as Record<string, unknown>),
    close: (why) => t.closed.push(why),
  });
  return t;
}

describe('security: the mesh key cannot be bypassed', () => {
  const nodes: Mesh[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((m) => m.close()));
  });

  test('reflection: the node’s own handshake proof replayed on a second connection does not admit the attacker', async () => {
    const net = createMemoryNetwork({ validateFrames: true });
    const victim = await createMesh({ name: 'N', transport: net.createTransport(), key });
    nodes.push(victim);
    const ran: string[] = [];
    victim.handle(Shell, (cmd, ctx) => {
      ran.push(`${ctx.from}: ${cmd}`);
      return 'root';
    });
    const evil = net.createTransport();
    const c2 = tap(await evil.dial(victim.address));
    const c1 = tap(await evil.dial(victim.address));
    // What the victim says first on each link (nothing, once the responder
    // speaks only after the dialer proved the key).
    await new Promise((r) => setTimeout(r, 100));
    const h1 = c1.frames[0];
    const h2 = c2.frames[0];
    if (h1?.t === 'hello' && h2?.t === 'hello') {
      // Names may hold NUL and the MAC input joins fields with NUL, no lengths:
      // pick names and nonces so the victim's MAC on c1 is the proof wanted on c2.
      const n1 = h1.nonce as Uint8Array;
      const n2 = h2.nonce as Uint8Array;
      const hello = (name: string, nonce: Uint8Array) => ({
        t: 'hello',
        proto: h1.proto,
        name,
        inc: 1,
        version: h1.version,
        soliciting: false,
        auth: true,
        nonce,
      });
      c1.link.send(hello('P\u0000N', n2));
      await until('victim proves itself on c1', () => c1.frames.some((f) => f.t === 'ready'), 1000);
      const mac = c1.frames.find((f) => f.t === 'ready')?.mac;
      c2.link.send(hello('N\u0000P', n1));
      c2.link.send({ t: 'ready', mac });
    }
    // Whatever the protocol: replay everything the victim sent on one link into the other.
    for (const f of c1.frames) if (!c2.link.closed) c2.link.send(f);
    for (const f of c2.frames) if (!c1.link.closed) c1.link.send(f);
    await new Promise((r) => setTimeout(r, 100));
    for (const c of [c1, c2]) {
      if (c.link.closed) continue;
      c.link.send({
        t: 'req',
        id: 1,
        src: 'N\u0000P',
        inc: 1,
        to: ['N'],
        kind: Shell.name,
        ttl: 4,
        body: 'id',
      });
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(victim.peers()).toEqual([]);
    expect(ran).toEqual([]);
  });

  test('a node cannot be made to link with itself (a self-connection is refused)', async () => {
    const net = createMemoryNetwork();
    const t = net.createTransport();
    const a = await createMesh({ name: 'a', transport: t, key });
    nodes.push(a);
    await expect(a.dial(t.localAddress)).rejects.toMatchObject({ code: 'ERR_MESH_DIAL_SELF' });
    expect(a.peers()).toEqual([]);
  });

  test('names with NUL, control characters, separators or absurd length are refused', async () => {
    const net = createMemoryNetwork();
    for (const name of ['a\u0000b', 'a\nb', 'a b', 'a:b', 'a,b', 'x'.repeat(254), '']) {
      await expect(createMesh({ name, transport: net.createTransport() })).rejects.toMatchObject({
        code: 'ERR_MESH_OPTION',
      });
    }
  });

  describe('a private mesh: frames after the handshake', () => {
    const Echo = defineKind<string, string>('sec.echo');
    async function pair(extra: Partial<MeshOptions> = {}) {
      const net = createMemoryNetwork({ validateFrames: true });
      const tap = tapTransport(net.createTransport());
      const a = await createMesh({ name: 'a', transport: tap.transport, key, ...extra });
      const b = await createMesh({ name: 'b', transport: net.createTransport(), key, ...extra });
      nodes.push(a, b);
      b.handle(Echo, (s) => s);
      await a.dial(b.address);
      await until('linked', () => b.peers().includes('a'));
      return { a, b, tap };
    }

    test('carry no plaintext: a request body never appears in what a sends', async () => {
      const { a, tap } = await pair();
      const seen: Uint8Array[] = [];
      tap.set((f) => {
        seen.push(encode(f));
        return [f];
      });
      const [row] = await a.send(['b'], Echo, 'SECRET-payload');
      expect(row).toMatchObject({ ok: true, value: 'SECRET-payload' });
      expect(seen.length).toBeGreaterThan(0);
      for (const bytes of seen) {
        expect(Buffer.from(bytes).includes('SECRET')).toBe(false);
      }
    });

    for (const [attack, hook] of [
      [
        'tampered',
        (f: unknown) => {
          const copy = Buffer.from(f as Uint8Array);
          copy[copy.length - 20] = (copy[copy.length - 20] ?? 0) ^ 1;
          return [copy];
        },
      ],
      ['replayed', (f: unknown) => [f, f]],
      [
        'unencrypted',
        () => [
          { t: 'req', id: 9, src: 'a', inc: 1, to: ['b'], kind: 'sec.echo', ttl: 4, body: 'x' },
        ],
      ],
    ] as const) {
      test(`a ${attack} frame closes the link, and both nodes keep running`, async () => {
        const { a, b, tap } = await pair();
        const down = new Promise<string>((r) => b.once('peer-down', (_n, why) => r(why)));
        tap.set(hook);
        void a.send(['b'], Echo, 'x', { timeout: 2000 });
        expect(await down).toMatch(/authentication|unencrypted/);
        tap.set((f) => [f]);
        await a.dial(b.address);
        const [row] = await a.send(['b'], Echo, 'again');
        expect(row).toMatchObject({ ok: true, value: 'again' });
      });
    }

    test('reordered frames close the link', async () => {
      const { a, b, tap } = await pair();
      const down = new Promise<string>((r) => b.once('peer-down', (_n, why) => r(why)));
      let held: unknown;
      tap.set((f) => {
        if (held === undefined) {
          held = f;
          return [];
        }
        const first = held;
        return [f, first];
      });
      void a.send(['b'], Echo, 'one', { timeout: 2000 });
      void a.send(['b'], Echo, 'two', { timeout: 2000 });
      expect(await down).toMatch(/authentication/);
    });
  });

  test('a replayed solicitation does not make a node dial elsewhere', async () => {
    const net = createMemoryNetwork();
    const context = uniqueContext();
    const listener = await createMesh({
      name: 'listener',
      transport: net.createTransport(),
      context,
      key,
    });
    nodes.push(listener);
    // the attacker records a keyed node's solicitations, then rebroadcasts them from its own address
    const evil = net.createTransport();
    const recorded: Uint8Array[] = [];
    const dialedEvil: string[] = [];
    await evil.listen({
      link: (l) => dialedEvil.push(l.remoteAddress),
      datagram: (d) => recorded.push(d),
    });
    const soliciting = await createMesh({
      name: 'solicitor',
      transport: net.createTransport(),
      context,
      key,
      degree: 1,
      solicitMinMs: 20,
    });
    nodes.push(soliciting);
    await until('solicitor linked', () => soliciting.peers().includes('listener'));
    expect(recorded.length).toBeGreaterThan(0);
    await soliciting.close();
    for (const d of recorded) await evil.broadcast(d);
    await new Promise((r) => setTimeout(r, 100));
    expect(dialedEvil).toEqual([]);
    await evil.close();
  });
});
