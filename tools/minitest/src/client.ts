// A minimal control-socket client for the runner (minimega's JSON protocol,
// daemon.md §3). Replies are validated with zod: a daemon under test may be
// broken, and the runner must say so instead of crashing.
import { connect, type Socket } from 'node:net';
import { z } from 'zod';

export const ReplySchema = z.object({
  Resp: z
    .array(
      z.object({
        Host: z.string(),
        Response: z.string().optional(),
        Error: z.string().optional(),
      }),
    )
    .nullable()
    .optional(),
  Rendered: z.string().optional().default(''),
  More: z.boolean().optional().default(false),
  Status: z.boolean().optional().default(false),
  Suggest: z.array(z.string()).optional(),
});
export type Reply = z.infer<typeof ReplySchema>;

export class RunnerClientError extends Error {
  readonly code: 'ERR_DIAL' | 'ERR_DISCONNECTED' | 'ERR_BAD_REPLY' | 'ERR_TIMEOUT';
  constructor(code: RunnerClientError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

/** Splits newline/whitespace separated JSON objects (Go's encoder writes one per line). */
function splitValues(buf: string): { values: string[]; rest: string } {
  const values: string[] = [];
  let depth = 0;
  let inStr = false;
  let esc = false;
  let start = -1;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (start < 0) {
      if (c === '{') {
        start = i;
        depth = 1;
      }
      continue;
    }
    if (inStr) {
      if (esc) esc = false;
      else if (c === '\\') esc = true;
      else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') inStr = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) {
        values.push(buf.slice(start, i + 1));
        start = -1;
      }
    }
  }
  return { values, rest: start < 0 ? '' : buf.slice(start) };
}

export class RunnerClient {
  private buf = '';
  private readonly queue: Reply[] = [];
  private waiter: (() => void) | undefined;
  private failure: RunnerClientError | undefined;

  private constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      const { values, rest } = splitValues(this.buf + d);
      this.buf = rest;
      for (const v of values) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(v);
        } catch (e) {
          this.fail(
            new RunnerClientError('ERR_BAD_REPLY', `bad JSON from daemon: ${(e as Error).message}`),
          );
          return;
        }
        const r = ReplySchema.safeParse(parsed);
        if (!r.success) {
          this.fail(
            new RunnerClientError('ERR_BAD_REPLY', `bad reply from daemon: ${r.error.message}`),
          );
          return;
        }
        this.queue.push(r.data);
      }
      this.wake();
    });
    sock.on('error', (e) => this.fail(new RunnerClientError('ERR_DISCONNECTED', e.message)));
    sock.on('close', () =>
      this.fail(new RunnerClientError('ERR_DISCONNECTED', 'server disconnected')),
    );
  }

  static async dial(path: string, waitMs = 0): Promise<RunnerClient> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      try {
        const s = await new Promise<Socket>((resolve, reject) => {
          const c = connect(path);
          c.once('connect', () => {
            c.off('error', reject);
            resolve(c);
          });
          c.once('error', reject);
        });
        return new RunnerClient(s);
      } catch (e) {
        if (Date.now() >= deadline) {
          throw new RunnerClientError('ERR_DIAL', `dial unix ${path}: ${(e as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  private fail(e: RunnerClientError): void {
    this.failure ??= e;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private async next(timeoutMs: number): Promise<Reply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = this.queue.shift();
      if (r) return r;
      if (this.failure) throw this.failure;
      const left = deadline - Date.now();
      if (left <= 0) throw new RunnerClientError('ERR_TIMEOUT', `no reply within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  /** Send one command; return its non-status replies. */
  async run(command: string, timeoutMs = 120_000): Promise<Reply[]> {
    if (this.failure) throw this.failure;
    this.sock.write(`${JSON.stringify({ Command: command, Suggest: '', PlumbPipe: '' })}\n`);
    const out: Reply[] = [];
    for (;;) {
      const r = await this.next(timeoutMs);
      if (r.Status) continue;
      out.push(r);
      if (!r.More) return out;
    }
  }

  close(): void {
    this.sock.destroy();
  }
}
