// Network plumbing for a cluster: one Linux bridge in the root namespace
// (no address), and per host a network namespace joined to it by a veth
// pair. Addresses are assigned only inside the namespaces created here.
import { execa } from 'execa';
import { NETNS_PREFIX, ownerPid } from './names.js';

export async function ip(args: string[]): Promise<void> {
  const r = await execa('ip', args, { reject: false });
  if (r.exitCode !== 0) {
    throw new Error(`ip ${args.join(' ')}: ${String(r.stderr).trim() || `exit ${r.exitCode}`}`);
  }
}

/** `ip` that ignores failure (teardown of things that may already be gone). */
async function ipQuiet(args: string[]): Promise<void> {
  await execa('ip', args, { reject: false });
}

export async function createBridge(bridge: string): Promise<void> {
  await ip(['link', 'add', bridge, 'type', 'bridge']);
  await ip(['link', 'set', bridge, 'up']);
}

export async function deleteBridge(bridge: string): Promise<void> {
  await ipQuiet(['link', 'del', bridge]);
}

/** Create netns `ns`, with `eth0` (`address`/16) plugged into `bridge` through `veth`. */
export async function createHostNetns(opts: {
  ns: string;
  bridge: string;
  veth: string;
  address: string;
}): Promise<void> {
  const { ns, bridge, veth, address } = opts;
  const inner = `${veth.slice(0, 13)}_i`;
  await ip(['netns', 'add', ns]);
  await ip(['link', 'add', veth, 'type', 'veth', 'peer', 'name', inner]);
  await ip(['link', 'set', inner, 'netns', ns]);
  await ip(['-n', ns, 'link', 'set', inner, 'name', 'eth0']);
  await ip(['link', 'set', veth, 'master', bridge]);
  await ip(['link', 'set', veth, 'up']);
  await ip(['-n', ns, 'addr', 'add', `${address}/16`, 'dev', 'eth0']);
  await ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
  await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
}

/** Deleting the netns removes eth0 and, with it, the veth end in the root namespace. */
export async function deleteHostNetns(ns: string, veth: string): Promise<void> {
  await ipQuiet(['netns', 'del', ns]);
  await ipQuiet(['link', 'del', veth]);
}

/** Remove namespaces left by cluster runs whose process is gone (crashed test runs). */
export async function sweepStale(): Promise<string[]> {
  const r = await execa('ip', ['netns', 'list'], { reject: false });
  const removed: string[] = [];
  for (const line of String(r.stdout).split('\n')) {
    const ns = line.split(' ')[0] ?? '';
    if (!ns.startsWith(NETNS_PREFIX)) continue;
    const pid = ownerPid(ns);
    if (pid === undefined || alive(pid)) continue;
    await ipQuiet(['netns', 'del', ns]);
    removed.push(ns);
  }
  return removed;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
