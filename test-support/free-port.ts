// A loopback TCP port nobody listens on at this moment (the OS picks it), for
// tests that must pass a port to something that binds it later (a daemon's
// mesh port, a port that is meant to refuse connections).
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const addr = srv.address();
  await new Promise<void>((r) => srv.close(() => r()));
  if (typeof addr !== 'object' || !addr) throw new Error('freePort: the server had no address');
  return addr.port;
}
