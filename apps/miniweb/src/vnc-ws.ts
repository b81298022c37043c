// The console WebSocket: browser ⇄ miniweb ⇄ the local daemon's VNC proxy
// socket (which reaches the VM's host over the mesh when it is elsewhere).
// Bytes are copied as they are; view-only is enforced by the daemon's
// RFB-aware proxy on the VM's host.
import type { Socket } from 'node:net';
import { dialVnc, type VncRequest } from '@mm/minimega/client';
import type { WebSocket } from 'ws';

/** High-water mark of bytes queued to the browser before the VNC side is paused. */
const WS_HIGH_WATER = 4 * 1024 * 1024;

export async function bridgeVnc(
  ws: WebSocket,
  base: string,
  req: VncRequest,
  log: (msg: string) => void,
): Promise<void> {
  // messages can arrive while the proxy is dialled: hold them
  const early: Buffer[] = [];
  let closed = false;
  const onEarly = (m: Buffer) => early.push(Buffer.from(m));
  ws.on('message', onEarly);
  ws.once('close', () => {
    closed = true;
  });
  let sock: Socket;
  try {
    sock = await dialVnc(base, req);
  } catch (e) {
    log(`vnc ${req.namespace}/${req.vm}: ${(e as Error).message}`);
    // 4404: an application close code the page shows as "console unavailable"
    if (!closed) ws.close(4404, (e as Error).message.slice(0, 120));
    return;
  }
  if (closed) {
    sock.destroy();
    return;
  }
  ws.off('message', onEarly);
  for (const m of early) sock.write(m);
  ws.on('message', (m: Buffer) => {
    sock.write(m);
  });
  sock.on('data', (chunk: Buffer) => {
    ws.send(chunk, { binary: true });
    if (ws.bufferedAmount > WS_HIGH_WATER) {
      sock.pause();
      const resume = setInterval(() => {
        if (ws.bufferedAmount < WS_HIGH_WATER / 2 || ws.readyState !== ws.OPEN) {
          clearInterval(resume);
          sock.resume();
        }
      }, 20);
    }
  });
  sock.resume();
  const end = () => {
    sock.destroy();
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(1000);
  };
  sock.on('close', end);
  sock.on('error', end);
  ws.on('close', end);
  ws.on('error', end);
}
