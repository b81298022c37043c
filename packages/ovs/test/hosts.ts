// Throwaway network namespaces, each with a private OVS: for the real tests
// and the benchmarks (no vitest imports here).
import { mkdtemp, rm } from 'node:fs/promises';
import { execa } from 'execa';
// by path, not '#test-support': that also loads vitest, and benchmarks use this file
import { uniqueName } from '../../../test-support/unique-name.js';
import { type PrivateOvs, startPrivateOvs } from '../src/index.js';

export { uniqueName };

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
