// A fake RFB (VNC) server: the 3.8 handshake with no security, a small
// framebuffer in one colour that changes on every key press, and a log of
// the client messages it received. Tests and the latency bench serve it
// behind the fake daemon's VNC proxy socket.
import type { Duplex } from 'node:stream';

export interface RfbLogEntry {
  type:
    | 'SetPixelFormat'
    | 'SetEncodings'
    | 'FramebufferUpdateRequest'
    | 'KeyEvent'
    | 'PointerEvent'
    | 'ClientCutText';
  /** for KeyEvent: down and keysym */
  down?: boolean;
  key?: number;
  at: number;
}

export interface FakeRfbOptions {
  width?: number;
  height?: number;
  name?: string;
  /** called for each client message */
  onMessage?: (e: RfbLogEntry) => void;
}

const MSG_LEN: Record<number, number> = { 0: 20, 3: 10, 4: 8, 5: 6 };

/** Serves one RFB session on `sock`. */
export function serveFakeRfb(sock: Duplex, opts: FakeRfbOptions = {}): void {
  const width = opts.width ?? 64;
  const height = opts.height ?? 48;
  const name = Buffer.from(opts.name ?? 'fake');
  let colour = 0x3366cc;
  let stage: 'version' | 'security' | 'init' | 'normal' = 'version';
  let buf = Buffer.alloc(0);
  let pendingRequest = false;
  let changed = true;

  const frame = () => {
    const px = Buffer.alloc(width * height * 4);
    for (let i = 0; i < width * height; i++) px.writeUInt32LE(colour, i * 4);
    const head = Buffer.alloc(4 + 12);
    head.writeUInt8(0, 0); // FramebufferUpdate
    head.writeUInt16BE(1, 2);
    head.writeUInt16BE(0, 4);
    head.writeUInt16BE(0, 6);
    head.writeUInt16BE(width, 8);
    head.writeUInt16BE(height, 10);
    head.writeInt32BE(0, 12); // Raw
    sock.write(Buffer.concat([head, px]));
    changed = false;
    pendingRequest = false;
  };

  sock.write('RFB 003.008\n');
  sock.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (stage === 'version') {
        if (buf.length < 12) return;
        buf = buf.subarray(12);
        sock.write(Buffer.from([1, 1])); // one security type: None
        stage = 'security';
      } else if (stage === 'security') {
        if (buf.length < 1) return;
        buf = buf.subarray(1);
        sock.write(Buffer.from([0, 0, 0, 0])); // SecurityResult OK
        stage = 'init';
      } else if (stage === 'init') {
        if (buf.length < 1) return;
        buf = buf.subarray(1);
        const si = Buffer.alloc(24 + name.length);
        si.writeUInt16BE(width, 0);
        si.writeUInt16BE(height, 2);
        // pixel format: 32 bpp, depth 24, little endian, true colour, 255 max, shifts 16/8/0
        Buffer.from([32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]).copy(si, 4);
        si.writeUInt32BE(name.length, 20);
        name.copy(si, 24);
        sock.write(si);
        stage = 'normal';
      } else {
        if (buf.length < 1) return;
        const t = buf[0]!;
        let len = MSG_LEN[t];
        if (t === 2) {
          if (buf.length < 4) return;
          len = 4 + 4 * buf.readUInt16BE(2);
        } else if (t === 6) {
          if (buf.length < 8) return;
          len = 8 + buf.readUInt32BE(4);
        }
        if (len === undefined) {
          sock.destroy();
          return;
        }
        if (buf.length < len) return;
        const msg = buf.subarray(0, len);
        buf = buf.subarray(len);
        const at = performance.now();
        switch (t) {
          case 0:
            opts.onMessage?.({ type: 'SetPixelFormat', at });
            break;
          case 2:
            opts.onMessage?.({ type: 'SetEncodings', at });
            break;
          case 3:
            opts.onMessage?.({ type: 'FramebufferUpdateRequest', at });
            pendingRequest = true;
            // a non-incremental request always gets a frame
            if (msg[1] === 0) changed = true;
            break;
          case 4: {
            const down = msg[1] === 1;
            opts.onMessage?.({ type: 'KeyEvent', down, key: msg.readUInt32BE(4), at });
            if (down) {
              colour = (colour * 7 + 0x1234) & 0xffffff;
              changed = true;
            }
            break;
          }
          case 5:
            opts.onMessage?.({ type: 'PointerEvent', at });
            break;
          case 6:
            opts.onMessage?.({ type: 'ClientCutText', at });
            break;
        }
        if (pendingRequest && changed) frame();
      }
    }
  });
  sock.on('error', () => {});
}
