// Command history (minicli.md §5): bounded, oldest dropped first.

export class History {
  private items: string[] = [];
  private warned = false;

  /** `limit` ≤ 0 keeps everything; `onTruncate` is called the first time entries are dropped. */
  constructor(
    readonly limit = 10_000,
    private readonly onTruncate?: (limit: number) => void,
  ) {}

  add(line: string): void {
    this.items.push(line);
    if (this.limit > 0 && this.items.length > this.limit) {
      if (!this.warned) {
        this.warned = true;
        this.onTruncate?.(this.limit);
      }
      this.items.splice(0, this.items.length - this.limit);
    }
  }

  entries(): string[] {
    return [...this.items];
  }

  clear(): void {
    this.items = [];
  }

  /** newline-joined, as `history` shows it */
  text(): string {
    return this.items.join('\n');
  }
}
