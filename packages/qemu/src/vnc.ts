// The VNC shim (vm-qemu.md §6.1 step 9): a TCP listener whose connections are
// proxied to QEMU's VNC unix socket `<instance>/vnc`. minimega listens on
// every interface without authentication (sharp edge 11); here the host is a
// setting and defaults to loopback.
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface VncShim {
  readonly port: number;
  close(): Promise<void>;
}

export async function startVncShim(opts: { unixPath: string; host?: string }): Promise<VncShim> {
  const conns = new Set<Socket>();
  const server: Server = createServer((client) => {
    const vnc = connect(opts.unixPath);
    conns.add(client);
    conns.add(vnc);
    const done = () => {
      client.destroy();
      vnc.destroy();
      conns.delete(client);
      conns.delete(vnc);
    };
    client.on('error', done).on('close', done);
    vnc.on('error', done).on('close', done);
    client.pipe(vnc);
    vnc.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, opts.host ?? '127.0.0.1', () => resolve());
  });
  // accept failures (EMFILE...) must not take the daemon down
  server.on('error', () => {});
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of conns) c.destroy();
        server.close(() => resolve());
      }),
  };
}
