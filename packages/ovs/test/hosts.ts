// Throwaway network namespaces, each with a private OVS: for the real tests
// and the benchmarks (no vitest imports here).
import { mkdtemp, rm } from 'node:fs/promises';
import { execa } from 'execa';
import { type PrivateOvs, startPrivateOvs } from '../src/index.js';

let seq = 0;
/** A unique short name (pid-based) for netns, bridges and taps. */
export function uniqueName(prefix: string): string {
  return `${prefix}${process.pid % 100000}${(seq++).toString(36)}`;
}

export interface Netns {
  name: string;
  exec(argv: string[]): Promise<string>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function createNetns(prefix = 'mmo'): Promise<Netns> {
  const name = uniqueName(prefix);
  await execa('ip', ['netns', 'add', name]);
  await execa('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
  return {
    name,
    async exec(argv) {
      const r = await execa('ip', ['netns', 'exec', name, ...argv]);
      return r.stdout;
    },
    async [Symbol.asyncDispose]() {
      await execa('ip', ['netns', 'del', name], { reject: false });
    },
  };
}

export interface OvsHost {
  netns: Netns;
  ovs: PrivateOvs;
  dir: string;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A network namespace with a private OVS in it; everything goes on dispose. */
export async function startOvsHost(prefix = 'mmo'): Promise<OvsHost> {
  const netns = await createNetns(prefix);
  const dir = await mkdtemp(`/tmp/mm-ovs-${process.pid}-`);
  try {
    const ovs = await startPrivateOvs({ dir, netns: netns.name });
    return {
      netns,
      ovs,
      dir,
      async [Symbol.asyncDispose]() {
        await ovs.close();
        await netns[Symbol.asyncDispose]();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await netns[Symbol.asyncDispose]();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
