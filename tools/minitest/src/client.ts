// A minimal control-socket client for the runner (minimega's JSON protocol,
// daemon.md §3). Replies are validated with zod: a daemon under test may be
// broken, and the runner must say so instead of crashing.

// tools may use the app's sources (as tools/bench does); tsup bundles this
import { ClientError, MinimegaClient } from '@mm/minimega/client';
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

const fromClientError = (e: unknown): unknown =>
  e instanceof ClientError
    ? new RunnerClientError(e.code === 'ERR_CLOSED' ? 'ERR_DISCONNECTED' : e.code, e.message)
    : e;

/**
 * The daemon's own control-socket client (dialling, JSON stream framing,
 * one command in flight) with what the runner adds: each reply checked
 * against ReplySchema, status replies dropped, and a time limit per reply.
 */
export class RunnerClient {
  private failure: RunnerClientError | undefined;

  private constructor(private readonly client: MinimegaClient) {}

  static async dial(path: string, waitMs = 0): Promise<RunnerClient> {
    try {
      return new RunnerClient(await MinimegaClient.dial(path, { waitMs }));
    } catch (e) {
      throw fromClientError(e);
    }
  }

  /** Send one command; return its non-status replies. */
  async run(command: string, timeoutMs = 120_000): Promise<Reply[]> {
    if (this.failure) throw this.failure;
    const out: Reply[] = [];
    let timer: NodeJS.Timeout | undefined;
    let expire!: (e: RunnerClientError) => void;
    const expired = new Promise<never>((_, reject) => {
      expire = reject;
    });
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(
        () => expire(new RunnerClientError('ERR_TIMEOUT', `no reply within ${timeoutMs} ms`)),
        timeoutMs,
      );
    };
    arm();
    try {
      await Promise.race([
        expired,
        this.client.run(command, (raw) => {
          arm();
          const r = ReplySchema.safeParse(raw);
          if (!r.success) {
            this.failure ??= new RunnerClientError(
              'ERR_BAD_REPLY',
              `bad reply from daemon: ${r.error.message}`,
            );
            throw this.failure;
          }
          if (!r.data.Status) out.push(r.data);
        }),
      ]);
    } catch (e) {
      throw fromClientError(e);
    } finally {
      clearTimeout(timer);
    }
    return out;
  }

  close(): void {
    void this.client.close();
  }
}
