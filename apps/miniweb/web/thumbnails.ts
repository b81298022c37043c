// Thumbnails that cost nothing off screen: an image is fetched only while
// its row is visible (IntersectionObserver), a few at a time, refreshed
// slowly, and not at all while the tab is hidden (spec §10.3, #1310).

export interface ThumbOptions {
  /** refresh period of a visible thumbnail, ms */
  refreshMs: number;
  /** parallel fetches at most */
  concurrency: number;
}

interface Thumb {
  img: HTMLImageElement;
  url: string;
  visible: boolean;
  live: boolean;
  loadedAt: number;
}

export class Thumbnails {
  readonly #byImg = new Map<Element, Thumb>();
  readonly #queue: Thumb[] = [];
  #running = 0;
  readonly #observer: IntersectionObserver;
  /** thumbnail fetches made (the browser test and bench read it) */
  fetches = 0;

  constructor(private readonly opts: ThumbOptions) {
    this.#observer = new IntersectionObserver((entries) => {
      for (const e of entries) {
        const t = this.#byImg.get(e.target);
        if (!t) continue;
        t.visible = e.isIntersecting;
        if (t.visible) this.#want(t);
      }
    });
    setInterval(() => this.#tick(), 1000);
    document.addEventListener('visibilitychange', () => this.#tick());
  }

  /** Tracks `img`; `live` = the VM has a screen worth fetching now. */
  track(img: HTMLImageElement, url: string, live: boolean): void {
    let t = this.#byImg.get(img);
    if (!t) {
      t = { img, url, visible: false, live, loadedAt: 0 };
      this.#byImg.set(img, t);
      this.#observer.observe(img);
    }
    const wasLive = t.live;
    t.url = url;
    t.live = live;
    if (!live) img.removeAttribute('src');
    else if (!wasLive) this.#want(t);
  }

  untrack(img: HTMLImageElement): void {
    this.#observer.unobserve(img);
    this.#byImg.delete(img);
  }

  #tick(): void {
    if (document.hidden) return;
    const now = Date.now();
    for (const t of this.#byImg.values()) {
      if (t.visible && t.live && now - t.loadedAt > this.opts.refreshMs) this.#want(t);
    }
  }

  #want(t: Thumb): void {
    if (!t.visible || !t.live || document.hidden || this.#queue.includes(t)) return;
    if (t.loadedAt && Date.now() - t.loadedAt < this.opts.refreshMs) return;
    this.#queue.push(t);
    this.#pump();
  }

  #pump(): void {
    while (this.#running < this.opts.concurrency && this.#queue.length > 0) {
      const t = this.#queue.shift()!;
      if (!t.visible || !t.live) continue;
      this.#running++;
      this.fetches++;
      t.loadedAt = Date.now();
      const done = () => {
        t.img.onload = null;
        t.img.onerror = null;
        this.#running--;
        this.#pump();
      };
      t.img.onload = done;
      t.img.onerror = done;
      // the server's cache and ETag make a refresh cheap; the stamp defeats the image cache
      t.img.src = `${t.url}${t.url.includes('?') ? '&' : '?'}t=${Math.floor(t.loadedAt / 1000)}`;
    }
  }
}
