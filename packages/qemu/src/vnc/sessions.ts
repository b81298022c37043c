// Recordings and playbacks (spec §5, §7.2, §8). kb recordings are fed by the
// VNC proxy (every session through it, playbacks included); fb recordings
// and playbacks are the daemon's own RFB sessions on the VM's socket. Stop
// always finishes the file (the gzip trailer included: sharp edge 9).
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { createGzip, type Gzip } from 'node:zlib';
import { formatEvent, type KbEvent, parseLine } from './kb.js';
import { keysymOf, typeKeys } from './keysyms.js';
import { keyEvent, pointerEvent, rawSetup, rfbConnect, updateRequest } from './rfb-client.js';

const now = () => process.hrtime.bigint();

function closeStream(s: WriteStream | Gzip): Promise<void> {
  return new Promise((resolve) => {
    s.once('error', () => resolve());
    s.end(() => resolve());
  });
}

/** Go's Duration.String() of nanoseconds (e.g. `12.3456789s`). */
export function goDurationNs(ns: bigint | number): string {
  let n = Number(ns);
  if (n === 0) return '0s';
  if (n < 1e3) return `${n}ns`;
  if (n < 1e6) return `${trim(n / 1e3)}µs`;
  if (n < 1e9) return `${trim(n / 1e6)}ms`;
  const h = Math.floor(n / 3600e9);
  n -= h * 3600e9;
  const m = Math.floor(n / 60e9);
  n -= m * 60e9;
  const s = `${trim(n / 1e9)}s`;
  return h ? `${h}h${m}m${s}` : m ? `${m}m${s}` : s;
}

function trim(x: number): string {
  return x.toFixed(9).replace(/0+$/, '').replace(/\.$/, '');
}

export class KbRecording {
  readonly kind = 'kb' as const;
  readonly start = now();
  #last = this.start;
  readonly #out: WriteStream;

  constructor(
    readonly vm: string,
    readonly file: string,
  ) {
    this.#out = createWriteStream(file, { flags: 'w' });
    this.#out.on('error', () => {});
  }

  record(e: KbEvent): void {
    const t = now();
    this.#out.write(`${t - this.#last}:${formatEvent(e)}\n`);
    this.#last = t;
  }

  close(): Promise<void> {
    return closeStream(this.#out);
  }
}

export class FbRecording {
  readonly kind = 'fb' as const;
  readonly start = now();
  #timer: NodeJS.Timeout | undefined;
  #close: (() => void) | undefined;
  readonly #gz = createGzip();
  readonly #file: WriteStream;

  private constructor(
    readonly vm: string,
    readonly file: string,
  ) {
    this.#file = createWriteStream(file, { flags: 'w' });
    this.#file.on('error', () => {});
    this.#gz.pipe(this.#file);
  }

  static async begin(vm: string, file: string, socket: string): Promise<FbRecording> {
    const s = await rfbConnect(socket);
    const rec = new FbRecording(vm, file);
    let last = now();
    const chunk = (b: Buffer) => {
      for (let i = 0; i < b.length; i += 4096) {
        const part = b.subarray(i, i + 4096);
        const t = now();
        rec.#gz.write(`${t - last} ${part.length}\r\n`);
        rec.#gz.write(part);
        rec.#gz.write('\r\n');
        last = t;
      }
    };
    if (s.rest.length) chunk(s.rest);
    s.sock.on('data', chunk);
    s.sock.write(rawSetup());
    // a full (non-incremental) update 10 times a second, as the original
    rec.#timer = setInterval(() => s.sock.write(updateRequest(false, s.width, s.height)), 100);
    rec.#close = () => s.close();
    s.sock.on('close', () => clearInterval(rec.#timer));
    return rec;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#close?.();
    await new Promise<void>((resolve) => {
      this.#file.once('close', resolve);
      this.#file.once('error', () => resolve());
      this.#gz.end();
    });
  }
}

export type PlaybackState = 'PLAYING' | 'PAUSED' | 'DONE';

/** A kb playback on its own RFB session. */
export class Playback {
  state: PlaybackState = 'PLAYING';
  /** the line being waited on/sent */
  step = '';
  file: string;
  remainingNs = 0;
  readonly #abort = new AbortController();
  #resume: (() => void) | undefined;
  #skipWait: (() => void) | undefined;
  #send: ((b: Buffer) => void) | undefined;
  readonly done: Promise<void>;

  private constructor(
    readonly vm: string,
    file: string,
    private readonly log: (msg: string) => void,
    private readonly onEvent: (e: KbEvent) => void,
    /** lines to play instead of a file (vnc type) */
    private readonly lines?: string[],
  ) {
    this.file = file;
    this.done = Promise.resolve();
  }

  static async begin(opts: {
    vm: string;
    file: string;
    socket: string;
    log: (msg: string) => void;
    onEvent: (e: KbEvent) => void;
    lines?: string[];
  }): Promise<Playback> {
    const s = await rfbConnect(opts.socket);
    s.sock.on('data', () => {}); // drain server output
    const p = new Playback(opts.vm, opts.file, opts.log, opts.onEvent, opts.lines);
    p.#send = (b) => s.sock.write(b);
    (p as { done: Promise<void> }).done = p
      .#run(opts.file, 0)
      .catch((e: unknown) => {
        if (!p.#abort.signal.aborted) opts.log(`playback failed: ${(e as Error).message}`);
      })
      .finally(() => {
        p.state = 'DONE';
        s.close();
        opts.log(`Finished playback on ${opts.vm}`);
      });
    return p;
  }

  async #lines(file: string): Promise<string[]> {
    if (this.lines && file === this.file) return this.lines;
    return (await readFile(file, 'utf8')).split('\n');
  }

  async #run(file: string, depth: number): Promise<void> {
    if (depth > 100) throw new Error('too many recursive LoadFiles');
    const lines = await this.#lines(file);
    this.remainingNs += lines.reduce((s, l) => {
      const head = l.slice(0, l.indexOf(':'));
      return /^\d+$/.test(head) ? s + Number(head) : s;
    }, 0);
    for (const line of lines) {
      if (this.#abort.signal.aborted) return;
      let parsed: ReturnType<typeof parseLine>;
      try {
        parsed = parseLine(line);
      } catch (e) {
        this.log(`invalid vnc message: \`${line}\`: ${(e as Error).message}`);
        continue;
      }
      if (!parsed) continue;
      this.step = line;
      await this.#wait(parsed.delayNs);
      if (this.#abort.signal.aborted) return;
      this.remainingNs = Math.max(0, this.remainingNs - parsed.delayNs);
      const e = parsed.event;
      if (e.type === 'LoadFile') {
        const path = isAbsolute(e.path) ? e.path : join(dirname(file), e.path);
        const prev = this.file;
        this.file = path;
        await this.#run(path, depth + 1);
        this.file = prev;
      } else if (e.type === 'WaitForIt' || e.type === 'ClickItEvent') {
        // Screen matching is not implemented: the wait runs to its timeout,
        // which ends the playback, as the original's does in practice (spec §7.2, edge 15).
        await this.#wait(e.timeoutNs);
        if (this.#abort.signal.aborted) return;
        const src = e.image.length > 32 ? `${e.image.slice(0, 29)}...` : e.image;
        throw new Error(`timeout waiting for ${src}`);
      } else this.inject(e);
    }
  }

  /** waits `ns`, honouring pause, step and stop */
  async #wait(ns: number): Promise<void> {
    let left = ns / 1e6;
    while (left > 0 || this.state === 'PAUSED') {
      if (this.#abort.signal.aborted) return;
      if (this.state === 'PAUSED') {
        await new Promise<void>((r) => {
          this.#resume = r;
        });
        continue;
      }
      const started = Date.now();
      const stepped = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), left);
        this.#skipWait = () => {
          clearTimeout(t);
          resolve(true);
        };
        this.#resume = () => {
          clearTimeout(t);
          resolve(false);
        };
      });
      this.#skipWait = undefined;
      if (stepped) return;
      left -= Date.now() - started;
    }
  }

  /** sends a key or pointer event now */
  inject(e: KbEvent): void {
    if (e.type === 'KeyEvent') this.#send?.(keyEvent(e.down, e.key));
    else if (e.type === 'PointerEvent') this.#send?.(pointerEvent(e.mask, e.x, e.y));
    else return;
    this.onEvent(e);
  }

  pause(): void {
    if (this.state !== 'PLAYING') throw new Error('playback not pauseable');
    this.state = 'PAUSED';
    // wake the timer so the wait loop parks on the pause
    this.#resume?.();
  }

  resume(): void {
    if (this.state !== 'PAUSED') throw new Error('playback not playable');
    this.state = 'PLAYING';
    this.#resume?.();
  }

  stepNow(): void {
    if (this.state !== 'PLAYING') throw new Error('playback not stepable');
    this.#skipWait?.();
  }

  async stop(): Promise<void> {
    if (this.state === 'DONE') throw new Error('playback has already stopped');
    this.#abort.abort();
    this.#resume?.();
    this.#skipWait?.();
    await this.done;
  }
}

/** `vnc type` text as kb lines (spec §7.3). */
export function typeLines(text: string): string[] {
  const lines: string[] = [];
  for (const k of typeKeys(text)) {
    keysymOf(k.name);
    if (k.shift) lines.push('0:KeyEvent,true,Shift_L');
    lines.push(`0:KeyEvent,true,${k.name}`, `0:KeyEvent,false,${k.name}`);
    if (k.shift) lines.push('0:KeyEvent,false,Shift_L');
  }
  return lines;
}
