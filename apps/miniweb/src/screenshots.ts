// Screenshots, cached briefly and single-flight: N viewers of one VM cost one
// capture per TTL, never a storm of them (spec §9.2, minimega #1310).
import { createHash } from 'node:crypto';

export interface Shot {
  png: Buffer;
  etag: string;
  at: number;
}

export interface ScreenshotCacheOptions {
  /** how long a capture is served before a new one is taken (ms) */
  ttlMs: number;
  /** entries kept at most (oldest dropped first) */
  max?: number;
  now?: () => number;
}

export class ScreenshotCache {
  readonly #entries = new Map<string, Shot>();
  readonly #inflight = new Map<string, Promise<Shot>>();
  readonly #ttl: number;
  readonly #max: number;
  readonly #now: () => number;
  /** captures actually taken (tests, bench) */
  captures = 0;

  constructor(opts: ScreenshotCacheOptions) {
    this.#ttl = opts.ttlMs;
    this.#max = opts.max ?? 2000;
    this.#now = opts.now ?? Date.now;
  }

  /** The cached shot for `key` when fresh, else one capture shared by every caller. */
  get(key: string, capture: () => Promise<Buffer>): Promise<Shot> {
    const hit = this.#entries.get(key);
    if (hit && this.#now() - hit.at < this.#ttl) return Promise.resolve(hit);
    const pending = this.#inflight.get(key);
    if (pending) return pending;
    const p = (async () => {
      try {
        this.captures++;
        const png = await capture();
        const shot: Shot = {
          png,
          etag: `"${createHash('sha1').update(png).digest('base64url')}"`,
          at: this.#now(),
        };
        this.#entries.delete(key);
        this.#entries.set(key, shot);
        if (this.#entries.size > this.#max) {
          const oldest = this.#entries.keys().next().value;
          if (oldest !== undefined) this.#entries.delete(oldest);
        }
        return shot;
      } finally {
        this.#inflight.delete(key);
      }
    })();
    this.#inflight.set(key, p);
    return p;
  }
}
