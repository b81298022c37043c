// Dialling the daemon's socket, whatever the link: one attempt after another
// while the socket is busy (EAGAIN: its backlog is full) or, within
// `waitMs`, missing or refusing (the daemon is starting).
import { ClientError } from './errors.js';

export interface DialOptions {
  /** keep retrying a missing/refusing socket for this long (ms); default: only EAGAIN is retried */
  waitMs?: number;
  signal?: AbortSignal;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `attempt` until it connects; its errors carry the errno name in `code`. */
export async function dialWithRetry<T>(
  path: string,
  opts: DialOptions,
  attempt: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + (opts.waitMs ?? 0);
  let backoff = 10;
  for (;;) {
    opts.signal?.throwIfAborted();
    try {
      return await attempt();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const temporary = code === 'EAGAIN';
      const waitable = code === 'ENOENT' || code === 'ECONNREFUSED';
      if (!(temporary || (waitable && Date.now() < deadline))) {
        throw new ClientError('ERR_DIAL', `dial unix ${path}: ${(e as Error).message}`);
      }
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 200);
    }
  }
}
