// Command history (minicli.md §5): bounded by entries and by bytes, oldest
// dropped first. A line longer than the per-line limit is not kept whole: a
// `#` comment noting its size takes its place, so `write` still produces a
// script that `read` can run.

export interface HistoryLimits {
  /** entries kept; ≤ 0 keeps any number (default 10 000) */
  entries?: number;
  /** bytes kept over all entries; ≤ 0 = no limit (default none) */
  bytes?: number;
  /** longest line kept, bytes; ≤ 0 = no limit (default none) */
  lineBytes?: number;
}

export class History {
  private items: string[] = [];
  private sizes: number[] = [];
  private first = 0;
  private total = 0;
  private warned = false;
  readonly limit: number;
  private readonly bytes: number;
  private readonly lineBytes: number;

  /** `limits` as a number: the entry limit (≤ 0 keeps everything); `onTruncate` is called the first time entries are dropped. */
  constructor(
    limits: number | HistoryLimits = 10_000,
    private readonly onTruncate?: (limit: number) => void,
  ) {
    const l = typeof limits === 'number' ? { entries: limits } : limits;
    this.limit = l.entries ?? 10_000;
    this.bytes = l.bytes ?? 0;
    this.lineBytes = l.lineBytes ?? 0;
  }

  add(line: string): void {
    let size = Buffer.byteLength(line);
    if (this.lineBytes > 0 && size > this.lineBytes) {
      line = `# command of ${size} bytes not kept in the history (longer than ${this.lineBytes})`;
      size = line.length;
    }
    this.items.push(line);
    this.sizes.push(size);
    this.total += size;
    let drop = 0;
    const live = () => this.items.length - this.first - drop;
    while (
      live() > 1 &&
      ((this.limit > 0 && live() > this.limit) || (this.bytes > 0 && this.total > this.bytes))
    ) {
      this.total -= this.sizes[this.first + drop] as number;
      drop++;
    }
    if (drop > 0) {
      if (!this.warned) {
        this.warned = true;
        this.onTruncate?.(this.limit);
      }
      this.first += drop;
      // compact now and then rather than shifting on every add
      if (this.first > 1024 && this.first * 2 > this.items.length) {
        this.items = this.items.slice(this.first);
        this.sizes = this.sizes.slice(this.first);
        this.first = 0;
      }
    }
  }

  entries(): string[] {
    return this.items.slice(this.first);
  }

  clear(): void {
    this.items = [];
    this.sizes = [];
    this.first = 0;
    this.total = 0;
  }

  /** newline-joined, as `history` shows it */
  text(): string {
    return this.entries().join('\n');
  }
}
