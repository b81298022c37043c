// A container's console (containers.md §3.5): the shim's pty, reachable
// like a KVM serial port on a unix socket `I/console` and a TCP port. A new
// client first gets the last 1920 bytes; input goes raw to the pty.
// Unlike minimega the TCP side listens on loopback unless told otherwise.
import { rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';

export const SCROLLBACK_BYTES = 1920;

export interface ContainerConsole {
  /** TCP port (0 when no TCP listener) */
  readonly port: number;
  /** everything the console printed lately (at most SCROLLBACK_BYTES) */
  scrollback(): Buffer;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface ConsoleOptions {
  output: Readable;
  input: Writable;
  unixPath: string;
  /** TCP listen address; false = unix socket only */
  host?: string | false;
}

function listen(server: Server, arg: string | { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      server.off('error', reject);
      resolve();
    };
    if (typeof arg === 'string') server.listen(arg, done);
    else server.listen(arg.port, arg.host, done);
  });
}

export async function startConsole(opts: ConsoleOptions): Promise<ContainerConsole> {
  let back = Buffer.alloc(0);
  const clients = new Set<Socket>();
  const onData = (chunk: Buffer) => {
    back = Buffer.concat([back, chunk]);
    if (back.length > SCROLLBACK_BYTES) back = back.subarray(back.length - SCROLLBACK_BYTES);
    for (const c of clients) c.write(chunk);
  };
  opts.output.on('data', onData);
  const serve = (sock: Socket) => {
    sock.on('error', () => sock.destroy());
    if (back.length > 0) sock.write(back);
    clients.add(sock);
    sock.on('data', (d) => {
      if (opts.input.writable) opts.input.write(d);
    });
    sock.on('close', () => clients.delete(sock));
  };
  const servers: Server[] = [];
  let port = 0;
  try {
    await rm(opts.unixPath, { force: true });
    const unix = createServer(serve);
    await listen(unix, opts.unixPath);
    servers.push(unix);
    if (opts.host !== false) {
      const tcp = createServer(serve);
      await listen(tcp, { host: opts.host ?? '127.0.0.1', port: 0 });
      servers.push(tcp);
      const addr = tcp.address();
      port = typeof addr === 'object' && addr ? addr.port : 0;
    }
  } catch (err) {
    for (const s of servers) s.close();
    opts.output.off('data', onData);
    throw err;
  }
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      opts.output.off('data', onData);
      for (const c of clients) c.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
      await rm(opts.unixPath, { force: true });
    })();
    return closed;
  };
  return {
    port,
    scrollback: () => Buffer.from(back),
    close,
    [Symbol.asyncDispose]: close,
  };
}
