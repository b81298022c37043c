// The client→server half of RFB, parsed message by message with the
// handshake tracked (fixes the original shim's byte-0 parser, spec sharp
// edge 10). The proxy uses it to drop input from view-only sessions and to
// hand key and pointer events to `vnc record kb`.

export type ClientMessage =
  | { kind: 'handshake'; bytes: Buffer }
  | { kind: 'SetPixelFormat' | 'SetEncodings' | 'FramebufferUpdateRequest'; bytes: Buffer }
  | { kind: 'KeyEvent'; down: boolean; key: number; bytes: Buffer }
  | { kind: 'PointerEvent'; mask: number; x: number; y: number; bytes: Buffer }
  | { kind: 'ClientCutText'; text: Buffer; bytes: Buffer }
  | {
      kind:
        | 'EnableContinuousUpdates'
        | 'ClientFence'
        | 'SetDesktopSize'
        | 'QemuKeyEvent'
        | 'QemuAudio';
      bytes: Buffer;
    };

/** Messages a view-only session may send: they only ask for pixels. */
export const VIEW_ONLY_KINDS: ReadonlySet<ClientMessage['kind']> = new Set([
  'handshake',
  'SetPixelFormat',
  'SetEncodings',
  'FramebufferUpdateRequest',
  'EnableContinuousUpdates',
  'ClientFence',
]);

export class RfbProtocolError extends Error {
  readonly code = 'ERR_RFB_PROTOCOL' as const;
}

type Stage = 'version' | 'security' | 'vncauth' | 'init' | 'normal';

/** Cuts the client's byte stream into messages; push() returns the complete ones. */
export class RfbClientParser {
  #buf: Buffer = Buffer.alloc(0);
  #stage: Stage = 'version';
  #v33 = false;

  push(chunk: Buffer): ClientMessage[] {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    const out: ClientMessage[] = [];
    for (;;) {
      const m = this.#next();
      if (!m) return out;
      out.push(m);
    }
  }

  #take(n: number): Buffer {
    const b = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    return b;
  }

  #next(): ClientMessage | undefined {
    const b = this.#buf;
    switch (this.#stage) {
      case 'version': {
        if (b.length < 12) return undefined;
        const v = b.subarray(0, 12).toString('latin1');
        if (!/^RFB \d{3}\.\d{3}\n$/.test(v))
          throw new RfbProtocolError(`invalid client version: ${JSON.stringify(v)}`);
        this.#v33 = v === 'RFB 003.003\n';
        // RFB 3.3: the server picks the security type, the client sends nothing
        this.#stage = this.#v33 ? 'init' : 'security';
        return { kind: 'handshake', bytes: this.#take(12) };
      }
      case 'security': {
        if (b.length < 1) return undefined;
        this.#stage = b[0] === 2 ? 'vncauth' : 'init';
        return { kind: 'handshake', bytes: this.#take(1) };
      }
      case 'vncauth': {
        if (b.length < 16) return undefined;
        this.#stage = 'init';
        return { kind: 'handshake', bytes: this.#take(16) };
      }
      case 'init': {
        if (b.length < 1) return undefined;
        this.#stage = 'normal';
        return { kind: 'handshake', bytes: this.#take(1) };
      }
      case 'normal':
        return this.#message();
    }
  }

  #message(): ClientMessage | undefined {
    const b = this.#buf;
    if (b.length < 1) return undefined;
    const need = (n: number) => b.length >= n;
    switch (b[0]) {
      case 0:
        return need(20) ? { kind: 'SetPixelFormat', bytes: this.#take(20) } : undefined;
      case 2: {
        if (!need(4)) return undefined;
        const n = 4 + 4 * b.readUInt16BE(2);
        return need(n) ? { kind: 'SetEncodings', bytes: this.#take(n) } : undefined;
      }
      case 3:
        return need(10) ? { kind: 'FramebufferUpdateRequest', bytes: this.#take(10) } : undefined;
      case 4: {
        if (!need(8)) return undefined;
        const bytes = this.#take(8);
        return { kind: 'KeyEvent', down: bytes[1] !== 0, key: bytes.readUInt32BE(4), bytes };
      }
      case 5: {
        if (!need(6)) return undefined;
        const bytes = this.#take(6);
        return {
          kind: 'PointerEvent',
          mask: bytes[1]!,
          x: bytes.readUInt16BE(2),
          y: bytes.readUInt16BE(4),
          bytes,
        };
      }
      case 6: {
        if (!need(8)) return undefined;
        // a negative length is the extended clipboard (its absolute value)
        const n = 8 + Math.abs(b.readInt32BE(4));
        if (n > 16 * 1024 * 1024) throw new RfbProtocolError('client cut text too long');
        if (!need(n)) return undefined;
        const bytes = this.#take(n);
        return { kind: 'ClientCutText', text: bytes.subarray(8), bytes };
      }
      case 150:
        return need(10) ? { kind: 'EnableContinuousUpdates', bytes: this.#take(10) } : undefined;
      case 248: {
        if (!need(9)) return undefined;
        const n = 9 + b[8]!;
        return need(n) ? { kind: 'ClientFence', bytes: this.#take(n) } : undefined;
      }
      case 251: {
        if (!need(8)) return undefined;
        const n = 8 + 16 * b[6]!;
        return need(n) ? { kind: 'SetDesktopSize', bytes: this.#take(n) } : undefined;
      }
      case 255: {
        if (!need(2)) return undefined;
        if (b[1] === 0)
          return need(12) ? { kind: 'QemuKeyEvent', bytes: this.#take(12) } : undefined;
        if (b[1] === 1) {
          if (!need(4)) return undefined;
          const op = b.readUInt16BE(2);
          const n = op === 2 ? 10 : 4;
          return need(n) ? { kind: 'QemuAudio', bytes: this.#take(n) } : undefined;
        }
        throw new RfbProtocolError(`unknown QEMU client message subtype ${b[1]}`);
      }
      default:
        // nothing after an unknown message can be framed: the caller ends the session
        throw new RfbProtocolError(`unknown client message type ${b[0]}`);
    }
  }
}
