// One named pipe: its readers, how many writers it has, the delivery mode,
// the optional via program, and the counters `pipe` lists.

export const PIPE_MODES = ['all', 'round-robin', 'random'] as const;
export type PipeMode = (typeof PIPE_MODES)[number];

/** What `pipe` lists for each pipe. */
export interface PipeInfo {
  name: string;
  mode: PipeMode;
  readers: number;
  writers: number;
  /** messages written to the pipe (one per write, whatever the readers) */
  count: number;
  /** the via program, words joined by spaces ('' = none) */
  via: string;
  /** the last message delivered, trimmed */
  previous: string;
}

/** Receives one message (ending in a newline). */
export type PipeSink = (line: string) => void;

export interface PipeReader {
  readonly id: number;
  /** where this reader's messages go; replaceable until the first message */
  sink: PipeSink;
  /** called once when the reader goes away (its pipe was deleted) */
  onClose?: () => void;
}

/** `all` delivers to every reader; otherwise the one reader chosen. */
export type Recipients = 'all' | number;

export class Pipe {
  mode: PipeMode = 'all';
  log = false;
  via: readonly string[] = [];
  last = '';
  count = 0;
  writers = 0;
  readonly readers = new Map<number, PipeReader>();
  /** the reader round-robin chose last (-1: none yet) */
  lastRecipient = -1;
  /** deliveries through the via run in write order */
  chain: Promise<void> = Promise.resolve();

  constructor(readonly name: string) {}

  /** Chooses who gets the next message, by mode (minimega's schedule()). */
  schedule(random: () => number = Math.random): Recipients {
    if (this.mode === 'all' || this.readers.size === 0) return 'all';
    const ids = [...this.readers.keys()].sort((a, b) => a - b);
    if (this.mode === 'random') return ids[Math.floor(random() * ids.length)] ?? 'all';
    const next = ids.find((id) => id > this.lastRecipient) ?? (ids[0] as number);
    this.lastRecipient = next;
    return next;
  }

  info(): PipeInfo {
    return {
      name: this.name,
      mode: this.mode,
      readers: this.readers.size,
      writers: this.writers,
      count: this.count,
      via: this.via.join(' '),
      previous: this.last.trim(),
    };
  }
}
