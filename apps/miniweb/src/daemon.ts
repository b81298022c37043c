// miniweb's way to the daemon: a small pool of control-socket connections
// (the original had one, so every page queued behind `vm top` and
// screenshots, spec §9.1), each command with a deadline. A connection that
// timed out mid-command is dropped, never reused, so no reply can leak into
// the next command.
import { join } from 'node:path';
import { inNamespace, MinimegaClient, type WireResp } from '@mm/minimega/client';
import { DaemonTimeoutError, DaemonUnreachableError } from './errors.js';

export interface DaemonRunOptions {
  /** run inside this namespace (`namespace NS <cmd>`); '' = the daemon's active one */
  namespace?: string;
  signal?: AbortSignal;
  /** deadline in ms (default: the pool's) */
  timeoutMs?: number;
}

/** Everything miniweb asks of a daemon; the real one is a socket pool, tests may fake it. */
export interface DaemonApi {
  /** Runs one command and returns every response row of every reply, in order. */
  run(command: string, opts?: DaemonRunOptions): Promise<WireResp[]>;
  /** the daemon's base dir (where its sockets live) */
  readonly base: string;
  close(): Promise<void>;
}

export interface DaemonPoolOptions {
  base: string;
  /** parallel connections (default 4) */
  size?: number;
  /** default deadline per command, ms (default 30 s) */
  timeoutMs?: number;
}

export function createDaemonPool(opts: DaemonPoolOptions): DaemonApi {
  const socketPath = join(opts.base, 'minimega');
  const size = opts.size ?? 4;
  const defaultTimeout = opts.timeoutMs ?? 30_000;
  const idle: MinimegaClient[] = [];
  const waiters: ((c: MinimegaClient | undefined) => void)[] = [];
  let open = 0;
  let closed = false;

  async function acquire(): Promise<MinimegaClient | undefined> {
    while (idle.length > 0) {
      const c = idle.pop()!;
      if (!c.disconnected) return c;
      open--;
    }
    if (open < size) {
      open++;
      try {
        return await MinimegaClient.dial(socketPath);
      } catch (e) {
        open--;
        throw new DaemonUnreachableError((e as Error).message);
      }
    }
    return new Promise((r) => waiters.push(r));
  }

  function release(c: MinimegaClient, healthy: boolean): void {
    if (!healthy || closed || c.disconnected) {
      open--;
      void c.close();
      // a waiter gets a fresh dial
      const w = waiters.shift();
      if (w) w(undefined);
      return;
    }
    const w = waiters.shift();
    if (w) w(c);
    else idle.push(c);
  }

  return {
    base: opts.base,
    async run(command, o = {}) {
      if (closed) throw new DaemonUnreachableError('miniweb is shutting down');
      let client = await acquire();
      while (!client) {
        if (closed) throw new DaemonUnreachableError('miniweb is shutting down');
        // woken to dial because a connection was dropped
        open++;
        try {
          client = await MinimegaClient.dial(socketPath);
        } catch (e) {
          open--;
          throw new DaemonUnreachableError((e as Error).message);
        }
      }
      const c = client;
      const full = inNamespace(o.namespace ?? '', command);
      const ms = o.timeoutMs ?? defaultTimeout;
      const rows: WireResp[] = [];
      let timer: NodeJS.Timeout | undefined;
      let healthy = true;
      try {
        const done = c.run(full, (r) => {
          if (r.Resp) rows.push(...r.Resp);
        });
        const deadline = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new DaemonTimeoutError(command, ms)), ms);
          o.signal?.addEventListener('abort', () => reject(o.signal!.reason), { once: true });
        });
        await Promise.race([done, deadline]);
        return rows;
      } catch (e) {
        healthy = false;
        if (e instanceof DaemonTimeoutError) throw e;
        if (o.signal?.aborted) throw e;
        throw new DaemonUnreachableError((e as Error).message);
      } finally {
        clearTimeout(timer);
        release(c, healthy);
      }
    },
    async close() {
      closed = true;
      for (const w of waiters.splice(0)) w(undefined);
      await Promise.all(idle.splice(0).map((c) => c.close()));
    },
  };
}
