// Real-OVS fixtures for the daemon's networking tests: a throwaway network
// namespace with a private OVS in it, and helpers to look at it from outside
// (ovs-vsctl through OVS_RUNDIR, ip inside the namespace).
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createOvsSwitch, type PrivateOvs, type Switch, startPrivateOvs } from '@mm/ovs';
import { execa } from 'execa';
import { ovsMissing, ovsQemuMissing, realComponent, uniqueName } from '#test-support';

/** The real-component gate (as test-support's realComponent: CI=true fails instead of skipping). */
export const realOvs = realComponent('ovs', ovsMissing);

/** OVS plus QEMU (guests). */
export const realOvsQemu = realComponent('ovs+qemu', ovsQemuMissing);

export { uniqueName };

export interface OvsNetns {
  netns: string;
  ovs: PrivateOvs;
  sw: Switch;
  /** ovs-vsctl against this instance */
  vsctl(...args: string[]): Promise<string>;
  /** a command inside the namespace */
  inNs(...argv: string[]): Promise<string>;
  /** network devices in the namespace */
  links(): Promise<string[]>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function ovsNetns(): Promise<OvsNetns> {
  const netns = uniqueName('mmn');
  await execa('ip', ['netns', 'add', netns]);
  const dir = await mkdtemp(`/tmp/mm-net-ovs-${process.pid}-`);
  let ovs: PrivateOvs;
  try {
    ovs = await startPrivateOvs({ dir, netns });
  } catch (err) {
    await execa('ip', ['netns', 'del', netns], { reject: false });
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const inNs = async (...argv: string[]) =>
    (await execa('ip', ['netns', 'exec', netns, ...argv])).stdout;
  return {
    netns,
    ovs,
    sw: createOvsSwitch({ env: ovs.env, netns, datapath: 'netdev' }),
    vsctl: async (...args) => (await execa('ovs-vsctl', args, { env: ovs.env })).stdout,
    inNs,
    async links() {
      const out = await inNs('ip', '-o', 'link', 'show');
      return out
        .split('\n')
        .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
        .filter((x): x is string => x !== undefined);
    },
    async [Symbol.asyncDispose]() {
      await ovs.close();
      await execa('ip', ['netns', 'del', netns], { reject: false });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Processes whose command line names our unique base (guests, OVS daemons left by a crash). */
export function ownProcesses(base: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(base)) pids.push(Number(d));
    } catch {
      // gone already
    }
  }
  return pids;
}
