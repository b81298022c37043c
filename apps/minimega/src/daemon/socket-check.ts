// Is a daemon already answering on this socket? Better than the original
// (sharp edge 4): a socket file nobody listens on is stale and is removed.
import { lstat, rm } from 'node:fs/promises';
import { connect } from 'node:net';

export class AlreadyRunningError extends Error {
  readonly code = 'ERR_ALREADY_RUNNING' as const;
}

export function socketAnswers(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const timer = setTimeout(() => {
      s.destroy();
      resolve(true); // something accepted the connection but is slow: treat as alive
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Make `path` free for our listener, or throw AlreadyRunningError. */
export async function claimSocketPath(
  path: string,
  opts: { force: boolean; warn: (msg: string) => void },
): Promise<void> {
  if (!(await exists(path))) return;
  if (await socketAnswers(path)) {
    if (!opts.force) {
      throw new AlreadyRunningError('minimega appears to already be running, override with -force');
    }
    opts.warn(`minimega may already be running, removing its socket ${path} (-force)`);
  } else {
    opts.warn(`removing stale socket ${path} (nothing is listening on it)`);
  }
  await rm(path, { force: true });
}
