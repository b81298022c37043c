// A TCP proxy for tests of what crosses a link: every chunk from the dialer
// ('forth') or from the acceptor ('back') goes through `hook`, which returns
// the chunks to forward in its place (none, the same, altered, repeated) and
// may keep a copy of everything it saw.
import { connect, createServer, type Server } from 'node:net';

export type Direction = 'forth' | 'back';
export type ChunkHook = (chunk: Buffer, dir: Direction) => Buffer[];

export interface TcpProxy {
  /** where to dial instead of the target */
  address: string;
  /** replaces the hook (the default forwards every chunk unchanged) */
  set(hook: ChunkHook): void;
  close(): Promise<void>;
}

export async function tcpProxy(target: string): Promise<TcpProxy> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.split(':').pop())];
  let hook: ChunkHook = (c) => [c];
  const sockets = new Set<{ destroy(): void }>();
  const server: Server = createServer((down) => {
    const up = connect(port, host);
    sockets.add(up).add(down);
    const pipe = (from: typeof down, to: typeof down, dir: Direction) =>
      from.on('data', (c: Buffer) => {
        for (const out of hook(Buffer.from(c), dir)) to.write(out);
      });
    pipe(down, up, 'forth');
    pipe(up, down, 'back');
    for (const [a, b] of [
      [up, down],
      [down, up],
    ] as const) {
      a.on('error', () => b.destroy());
      a.on('close', () => b.destroy());
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port: own } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${own}`,
    set: (h) => {
      hook = h;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
