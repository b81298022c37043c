// What a -recover daemon needs to take a running container over, kept in its
// instance dir: `container.json` (the shim's pid and start time, its cgroup
// dirs), a `started` marker once init runs, and the console's two fifos
// (`console.in`, `console.out`) that the pty's `script` holds open, so the
// console survives the daemon that started it.
import { closeSync, constants, openSync, readFileSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';

export const CONSOLE_IN = 'console.in';
export const CONSOLE_OUT = 'console.out';
const META = 'container.json';
const STARTED = 'started';

const metaSchema = z.object({
  shimPid: z.number().int().positive(),
  /** /proc/<pid>/stat start time: a reused pid has another */
  shimStart: z.string(),
  scriptPid: z.number().int().nonnegative(),
  cgroup: z.object({
    version: z.union([z.literal(1), z.literal(2)]),
    dirs: z.array(z.string()).min(1),
  }),
  argv: z.array(z.string()),
});

export type ContainerMeta = z.infer<typeof metaSchema>;

/** A process's start time (clock ticks since boot), '' when it is gone. */
export function processStart(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); field 22 is the start time
    if (rest[0] === 'Z' || rest[0] === 'X') return '';
    return rest[19] ?? '';
  } catch {
    return '';
  }
}

/** true while the recorded shim still runs (same pid, same start time) */
export function shimAlive(meta: ContainerMeta): boolean {
  return processStart(meta.shimPid) === meta.shimStart;
}

export async function writeContainerMeta(dir: string, meta: ContainerMeta): Promise<void> {
  const tmp = join(dir, `${META}.tmp`);
  await writeFile(tmp, `${JSON.stringify(meta)}\n`);
  await rename(tmp, join(dir, META));
}

/** The instance's record, or why there is none. */
export async function readContainerMeta(dir: string): Promise<ContainerMeta | string> {
  let text: string;
  try {
    text = await readFile(join(dir, META), 'utf8');
  } catch {
    return `no ${META} (started by an older daemon)`;
  }
  try {
    const r = metaSchema.safeParse(JSON.parse(text));
    return r.success ? r.data : `${META}: ${r.error.issues[0]?.message ?? 'invalid'}`;
  } catch (err) {
    return `${META}: ${(err as Error).message}`;
  }
}

export async function markStarted(dir: string): Promise<void> {
  await writeFile(join(dir, STARTED), '').catch(() => {});
}

export async function wasStarted(dir: string): Promise<boolean> {
  return readFile(join(dir, STARTED)).then(
    () => true,
    () => false,
  );
}

/**
 * This daemon's ends of the console fifos, as non-blocking sockets (an fd of
 * its own for each, so the pty side keeps blocking I/O). The input end needs
 * a reader (the `script` process holding `console.in`): ENXIO otherwise.
 */
export function openConsoleFifos(dir: string): { output: Socket; input: Socket; close(): void } {
  const outFd = openSync(join(dir, CONSOLE_OUT), constants.O_RDONLY | constants.O_NONBLOCK);
  let inFd: number;
  try {
    inFd = openSync(join(dir, CONSOLE_IN), constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (err) {
    closeSync(outFd);
    throw err;
  }
  const output = new Socket({ fd: outFd, readable: true, writable: false });
  const input = new Socket({ fd: inFd, readable: false, writable: true });
  output.on('error', () => {});
  input.on('error', () => {});
  return {
    output,
    input,
    close() {
      output.destroy();
      input.destroy();
    },
  };
}
