// miniweb's flags, Go style (`-base DIR` or `-base=DIR`; `--base` works too).
import { z } from 'zod';

export const FlagsSchema = z.object({
  base: z.string().min(1).default('/tmp/minimega'),
  addr: z
    .string()
    .regex(/^(\[[^\]]+\]|[^:\s]*):\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:9001')
    .default('127.0.0.1:9001'),
  tokens: z.string().default(''),
  namespace: z.string().default(''),
  /** screenshot cache lifetime in seconds */
  'screenshot-ttl': z.coerce.number().min(0).max(3600).default(5),
});
export type MiniwebFlags = z.infer<typeof FlagsSchema>;

export class FlagError extends Error {
  readonly code = 'ERR_FLAG' as const;
}

export const USAGE = `usage: miniweb [-base DIR] [-addr HOST:PORT] [-tokens FILE] [-namespace NS] [-screenshot-ttl SECONDS]
  -base            the minimega daemon's base dir (default /tmp/minimega)
  -addr            listen address (default 127.0.0.1:9001)
  -tokens          file of "TOKEN ROLE" lines (roles admin, viewer); without it an admin
                   token is generated, printed once and stored in <base>/miniweb.token
  -namespace       pin every request to this namespace
  -screenshot-ttl  how long a screenshot is served from cache (default 5)`;

export function parseFlags(argv: readonly string[]): MiniwebFlags | 'help' {
  const known = Object.keys(FlagsSchema.shape);
  const raw: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '-help' || a === '--help') return 'help';
    const m = /^--?([\w-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new FlagError(`unexpected argument: ${a}`);
    const name = m[1]!;
    if (!known.includes(name)) throw new FlagError(`unknown flag: -${name}`);
    let value = m[2];
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new FlagError(`flag needs a value: -${name}`);
    }
    raw[name] = value;
  }
  const r = FlagsSchema.safeParse(raw);
  if (!r.success) {
    throw new FlagError(r.error.issues.map((i) => `-${i.path.join('.')}: ${i.message}`).join('; '));
  }
  return r.data;
}
