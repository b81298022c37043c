// Binary min-heap of host indices under a "less loaded" order, with each
// host's position tracked so any host whose load went up can sink in O(log n).
export class HostHeap {
  private readonly heap: number[];
  private readonly pos: number[];

  constructor(
    n: number,
    private readonly less: (a: number, b: number) => boolean,
  ) {
    this.heap = Array.from({ length: n }, (_, i) => i);
    this.pos = Array.from({ length: n }, (_, i) => i);
    for (let i = (n >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  /** The least-loaded host. */
  root(): number {
    return this.heap[0] as number;
  }

  /**
   * The least-loaded host that satisfies `ok`: a best-first walk of the
   * heap, so it looks only at hosts less loaded than the one it returns.
   */
  find(ok: (h: number) => boolean): number | undefined {
    const heap = this.heap;
    const n = heap.length;
    // frontier: heap positions still to visit, itself a min-heap by load
    const front = new HostHeapFrontier((a, b) => this.less(heap[a] as number, heap[b] as number));
    if (n > 0) front.push(0);
    for (let p = front.pop(); p !== undefined; p = front.pop()) {
      const h = heap[p] as number;
      if (ok(h)) return h;
      if (2 * p + 1 < n) front.push(2 * p + 1);
      if (2 * p + 2 < n) front.push(2 * p + 2);
    }
    return undefined;
  }

  /** Host `h`'s load went up: move it down to its place. */
  raised(h: number): void {
    this.siftDown(this.pos[h] as number);
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const item = heap[i] as number;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && this.less(heap[r] as number, heap[l] as number)) c = r;
      const child = heap[c] as number;
      if (!this.less(child, item)) break;
      heap[i] = child;
      this.pos[child] = i;
      i = c;
    }
    heap[i] = item;
    this.pos[item] = i;
  }
}

/** A small array min-heap of heap positions (the frontier of HostHeap.find). */
class HostHeapFrontier {
  private readonly items: number[] = [];
  constructor(private readonly less: (a: number, b: number) => boolean) {}

  push(x: number): void {
    const a = this.items;
    let i = a.length;
    a.push(x);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(x, a[parent] as number)) break;
      a[i] = a[parent] as number;
      i = parent;
    }
    a[i] = x;
  }

  pop(): number | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0] as number;
    const last = a.pop() as number;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const r = l + 1;
        const c = r < a.length && this.less(a[r] as number, a[l] as number) ? r : l;
        if (!this.less(a[c] as number, last)) break;
        a[i] = a[c] as number;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}
