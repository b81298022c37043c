// Container NICs (containers.md §3.4): one veth pair per NIC. The container
// end is made directly inside the container's netns as `eth<i>` with the
// NIC's MAC; the host end (`mega_tapN`) goes onto the bridge with the VLAN
// tag. @mm/qemu is a leaf: the host's NicAttacher.attachVeth (the app's,
// with @mm/ovs) calls createVeth and then puts the host end on the bridge.
import { execa } from 'execa';
import { ContainerNetError } from './errors.js';

export interface VethSpec {
  /** host end */
  tap: string;
  /** container end (`eth<i>`) */
  peer: string;
  mac: string;
  /** a pid inside the container's netns */
  pid: number;
  /** network namespace (`ip netns` name) the host end lives in; undefined = ours */
  hostNetns?: string;
}

/** `ip` argv for one veth pair (pure; unit-tested) */
export function vethArgv(s: VethSpec): string[][] {
  const n = s.hostNetns ? ['-n', s.hostNetns] : [];
  return [
    [
      'ip',
      ...n,
      'link',
      'add',
      s.tap,
      'type',
      'veth',
      'peer',
      'name',
      s.peer,
      ...(s.mac ? ['address', s.mac] : []),
      'netns',
      String(s.pid),
    ],
    ['ip', ...n, 'link', 'set', s.tap, 'up'],
  ];
}

/** Creates the pair and brings the host end up; on failure nothing is left. */
export async function createVeth(s: VethSpec, signal?: AbortSignal): Promise<void> {
  const [add, up] = vethArgv(s) as [string[], string[]];
  const run = async (argv: string[]) => {
    const r = await execa(argv[0] as string, argv.slice(1), {
      reject: false,
      ...(signal ? { cancelSignal: signal } : {}),
    });
    if (r.exitCode !== 0) {
      throw new ContainerNetError(`create veth ${s.tap}: ${String(r.stderr).trim() || r.exitCode}`);
    }
  };
  await run(add);
  try {
    await run(up);
  } catch (err) {
    await deleteVeth(s.tap, s.hostNetns);
    throw err;
  }
}

/** Deletes the host end (the peer goes with it); a missing device is fine. */
export async function deleteVeth(tap: string, hostNetns?: string): Promise<void> {
  const n = hostNetns ? ['-n', hostNetns] : [];
  await execa('ip', [...n, 'link', 'del', tap], { reject: false });
}
