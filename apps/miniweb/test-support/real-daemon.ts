// A real minimega daemon process (from sources, through tsx) on a fresh base
// with its own mesh port and context, and commands run on its socket.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MinimegaClient } from '@mm/minimega/client';
import { execa, type ResultPromise } from 'execa';

const minimegaDir = fileURLToPath(new URL('../../minimega/', import.meta.url));

export interface RealDaemon {
  base: string;
  proc: ResultPromise;
  /** runs a command; throws on an error row */
  run(cmd: string): Promise<string>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function startRealDaemon(extra: string[] = []): Promise<RealDaemon> {
  const base = await mkdtemp(join(tmpdir(), `miniweb-real-${process.pid}-`));
  const port = 20_000 + Math.floor(Math.random() * 30_000);
  const proc = execa(
    'node',
    [
      '--conditions=source',
      '--import',
      'tsx',
      'src/main.ts',
      '-base',
      base,
      '-nostdin',
      '-accel',
      'tcg',
      '-port',
      String(port),
      '-context',
      `miniweb-${process.pid}-${port}`,
      ...extra,
    ],
    { cwd: minimegaDir, reject: false, stdin: 'ignore' },
  );
  let client: MinimegaClient;
  try {
    client = await MinimegaClient.dial(join(base, 'minimega'), { waitMs: 60_000 });
  } catch (e) {
    proc.kill('SIGKILL');
    const r = await proc;
    await rm(base, { recursive: true, force: true });
    throw new Error(`daemon did not start: ${(e as Error).message}\n${r.stderr}`);
  }
  return {
    base,
    proc,
    async run(cmd) {
      const replies = await client.runAll(cmd);
      const rows = replies.flatMap((r) => r.Resp ?? []);
      const err = rows.find((r) => r.Error);
      if (err) throw new Error(`${cmd}: ${err.Error}`);
      return rows.map((r) => r.Response).join('\n');
    },
    async [Symbol.asyncDispose]() {
      await client.close();
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await proc;
        clearTimeout(t);
      }
      await rm(base, { recursive: true, force: true });
    },
  };
}
