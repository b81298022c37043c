// Starting QEMU from a long-lived `sh` instead of from the daemon itself.
// Every child_process.spawn forks the whole Node process on the main thread
// (~10-40 ms each with a large heap); a launch of 50 VMs spent most of its
// time there. The helper shell is tiny, so its forks are cheap, and it
// reports each child's pid and exit status on its stdout.
import { execa, type ResultPromise } from 'execa';

export interface SpawnedProcess {
  /** resolves with the pid once the helper has started it */
  readonly pid: Promise<number>;
  /** resolves with how it ended: exit code, or the signal that killed it */
  readonly exited: Promise<{ code: number | undefined; signal: NodeJS.Signals | undefined }>;
}

export interface Spawner {
  /**
   * Runs `bin args` in `cwd` with stdin/stdout on /dev/null and stderr
   * appended to `stderrFile`.
   */
  spawn(
    bin: string,
    args: readonly string[],
    opts: { cwd: string; stderrFile: string },
  ): SpawnedProcess;
  close(): Promise<void>;
}

const HELPER = `
while IFS= read -r line; do
  id=\${line%% *}
  cmd=\${line#* }
  (
    eval "$cmd" &
    pid=$!
    echo "pid $id $pid"
    wait $pid
    echo "exit $id $?"
  ) &
done
`;

const SIGNALS: Record<number, NodeJS.Signals> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  4: 'SIGILL',
  6: 'SIGABRT',
  7: 'SIGBUS',
  8: 'SIGFPE',
  9: 'SIGKILL',
  11: 'SIGSEGV',
  13: 'SIGPIPE',
  14: 'SIGALRM',
  15: 'SIGTERM',
};

/** POSIX shell single-quoting. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

interface Entry {
  pid: (p: number) => void;
  failPid: (e: Error) => void;
  exit: (r: { code: number | undefined; signal: NodeJS.Signals | undefined }) => void;
  knownPid: number | undefined;
}

export function createSpawner(): Spawner {
  let helper: ResultPromise | undefined;
  let nextId = 1;
  const entries = new Map<number, Entry>();
  let buf = '';

  const onLine = (line: string) => {
    const m = /^(pid|exit) (\d+) (\d+)$/.exec(line.trim());
    if (!m) return;
    const e = entries.get(Number(m[2]));
    if (!e) return;
    const n = Number(m[3]);
    if (m[1] === 'pid') {
      e.knownPid = n;
      e.pid(n);
    } else {
      entries.delete(Number(m[2]));
      e.exit(
        n > 128 && SIGNALS[n - 128]
          ? { code: undefined, signal: SIGNALS[n - 128] }
          : { code: n, signal: undefined },
      );
    }
  };

  const start = (): ResultPromise => {
    const h = execa('sh', ['-c', HELPER], {
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'ignore',
      buffer: false,
      reject: false,
    });
    // a write after the helper died must not take the daemon down (its exit is handled below)
    h.stdin?.on('error', () => {});
    h.stdout?.setEncoding('utf8');
    h.stdout?.on('data', (d: string) => {
      buf += d;
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        onLine(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
      }
    });
    // 'exit', not the promise: the promise also waits for stdout, which the
    // helper's subshells keep open while their children run
    h.once('exit', () => {
      if (helper === h) helper = undefined;
      // the supervisor is gone: its children can no longer be watched, so stop them
      for (const [id, e] of entries) {
        entries.delete(id);
        if (e.knownPid) {
          try {
            process.kill(e.knownPid, 'SIGKILL');
          } catch {
            // already gone
          }
        } else e.failPid(new Error('process supervisor exited'));
        e.exit({ code: undefined, signal: 'SIGKILL' });
      }
    });
    return h;
  };

  return {
    spawn(bin, args, opts) {
      for (const a of [bin, ...args, opts.cwd, opts.stderrFile]) {
        if (/[\n\r\0]/.test(a))
          throw new Error(`argument contains a line break: ${JSON.stringify(a)}`);
      }
      helper ??= start();
      const id = nextId++;
      let entry!: Entry;
      const pid = new Promise<number>((resolve, reject) => {
        entry = { pid: resolve, failPid: reject, exit: () => {}, knownPid: undefined };
      });
      const exited = new Promise<{ code: number | undefined; signal: NodeJS.Signals | undefined }>(
        (resolve) => {
          entry.exit = resolve;
        },
      );
      pid.catch(() => {});
      entries.set(id, entry);
      const cmd = `cd ${shQuote(opts.cwd)} && exec ${[bin, ...args].map(shQuote).join(' ')} </dev/null >/dev/null 2>>${shQuote(opts.stderrFile)}`;
      helper.stdin?.write(`${id} ${cmd}\n`);
      return { pid, exited };
    },
    async close() {
      const h = helper;
      if (!h) return;
      const gone = new Promise<void>((r) => {
        if (h.exitCode !== null || h.signalCode !== null) r();
        else h.once('exit', () => r());
      });
      h.stdin?.end();
      h.kill('SIGKILL');
      await gone;
      h.stdout?.destroy();
    },
  };
}
