// The control-socket client over Node's net.Socket: what tools, tests,
// miniweb and `-attach` dial. (`-e` dials through pipe-link.ts first, which
// does not load node:net; see oneshot.ts.)
import { connect, type Socket } from 'node:net';
import { type DialOptions, dialWithRetry } from './dial-retry.js';
import type { ClientLink, LinkEvents } from './link.js';
import { ClientSession } from './session.js';

export type { DialOptions } from './dial-retry.js';
export { ClientError } from './errors.js';

/** A connected net.Socket as a ClientLink. */
function netLink(socket: Socket): ClientLink {
  return {
    listen(on: LinkEvents) {
      socket.on('data', on.data);
      socket.on('error', on.error);
      socket.on('close', () => on.close());
    },
    write: (text) => {
      socket.write(text);
    },
    close: () =>
      new Promise((resolve) => {
        if (socket.destroyed) return resolve();
        socket.once('close', () => resolve());
        socket.end();
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 500).unref();
      }),
    destroy: () => {
      socket.destroy();
    },
  };
}

export class MinimegaClient extends ClientSession {
  static async dial(path: string, opts: DialOptions = {}): Promise<MinimegaClient> {
    const sock = await dialWithRetry(
      path,
      opts,
      () =>
        new Promise<Socket>((resolve, reject) => {
          const s = connect(path);
          s.once('connect', () => {
            s.removeListener('error', reject);
            resolve(s);
          });
          s.once('error', reject);
        }),
    );
    return new MinimegaClient(netLink(sock));
  }
}
