// How commands run: one function so tests can record argv and the real
// switch can run `ip`/`tc` inside a network namespace.
import { execa } from 'execa';
import { OvsCommandError } from './errors.js';

export interface RunOptions {
  /** data for stdin (`ip -batch -`) */
  input?: string;
  signal?: AbortSignal;
  /** resolve instead of throwing on a non-zero exit */
  allowFailure?: boolean;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs argv; throws OvsCommandError on a non-zero exit unless allowFailure. */
export type Runner = (argv: readonly string[], opts?: RunOptions) => Promise<RunResult>;

export interface ExecRunnerOptions {
  /** extra environment (e.g. OVS_RUNDIR of a private instance) */
  env?: Record<string, string>;
  /** network namespace for host-side tools (`ip`, `tc`, `dhclient` (under `timeout`), `udhcpc`) */
  netns?: string;
  /** called with each argv before it runs (logging, tests counting processes) */
  onCommand?: (argv: readonly string[]) => void;
}

const NETNS_TOOLS = new Set(['ip', 'tc', 'dhclient', 'busybox', 'timeout']);

export function createExecRunner(opts: ExecRunnerOptions = {}): Runner {
  return async (argv, ro = {}) => {
    const [cmd, ...rest] = argv;
    if (!cmd) throw new TypeError('empty command');
    const full =
      opts.netns && NETNS_TOOLS.has(cmd) ? ['ip', 'netns', 'exec', opts.netns, ...argv] : [...argv];
    opts.onCommand?.(full);
    const r = await execa(full[0]!, full.slice(1), {
      env: opts.env,
      extendEnv: true,
      input: ro.input,
      cancelSignal: ro.signal,
      reject: false,
      stripFinalNewline: false,
    });
    if (r.isCanceled) throw ro.signal?.reason ?? new Error('aborted');
    const res: RunResult = {
      stdout: String(r.stdout ?? ''),
      stderr: String(r.stderr ?? ''),
      exitCode: r.exitCode ?? -1,
    };
    if (res.exitCode !== 0 && !ro.allowFailure) {
      throw new OvsCommandError(
        [cmd, ...rest],
        res.stderr || res.stdout || String(r.message),
        r.exitCode,
      );
    }
    return res;
  };
}
