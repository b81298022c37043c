// Open files a node serves parts of, kept open between part requests (a
// transfer asks for a file's parts one after another, often from several
// receivers at once): no open/close per part. A file is closed after a quiet
// spell; a replaced file (new inode) gets its own entry.
import { openPartFile, type PartHandle } from './fsio.js';

interface Entry {
  handle: Promise<PartHandle>;
  users: number;
  timer: NodeJS.Timeout | undefined;
}

export class HandleCache {
  readonly #open = new Map<string, Entry>();

  constructor(
    readonly idleMs = 5000,
    /** idle files kept open at most */
    readonly max = 16,
  ) {}

  /** run `fn` with `path` (inode `ino`) open for reading */
  async use<T>(path: string, ino: number, fn: (h: PartHandle) => Promise<T>): Promise<T> {
    const key = `${ino}:${path}`;
    let e = this.#open.get(key);
    if (!e) {
      this.#trim();
      const entry: Entry = { handle: openPartFile(path, 'r'), users: 0, timer: undefined };
      entry.handle.catch(() => {
        if (this.#open.get(key) === entry) this.#open.delete(key);
      });
      this.#open.set(key, entry);
      e = entry;
    }
    const entry = e;
    clearTimeout(entry.timer);
    entry.users++;
    try {
      return await fn(await entry.handle);
    } finally {
      entry.users--;
      if (entry.users === 0) {
        entry.timer = setTimeout(() => this.#close(key, entry), this.idleMs);
        entry.timer.unref();
      }
    }
  }

  #close(key: string, e: Entry): void {
    if (e.users > 0 || this.#open.get(key) !== e) return;
    this.#open.delete(key);
    clearTimeout(e.timer);
    void e.handle.then((h) => h.close()).catch(() => {});
  }

  /** make room: close idle files beyond `max` */
  #trim(): void {
    if (this.#open.size < this.max) return;
    for (const [key, e] of this.#open) {
      if (this.#open.size < this.max) break;
      this.#close(key, e);
    }
  }

  close(): void {
    for (const [key, e] of this.#open) {
      e.users = 0;
      this.#close(key, e);
    }
  }
}
