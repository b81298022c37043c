// Unique names for one cluster: everything carries this process's pid (and a
// per-process counter), so parallel runs never collide and leftovers of a
// crashed run can be recognised and swept.
export interface ClusterNames {
  /** `<pid36>-<k>`: unique among live processes */
  id: string;
  bridge: string;
  netns(i: number): string;
  /** root-namespace end of host i's veth pair */
  veth(i: number): string;
  /** 10.77.x.y, host i (1-based) */
  address(i: number): string;
}

let counter = 0;

export const NETNS_PREFIX = 'mmc-';

export function clusterNames(pid = process.pid): ClusterNames {
  // counter + random: worker threads of one test process share the pid
  const k = `${(counter++).toString(36)}${Math.floor(Math.random() * 36 ** 3)
    .toString(36)
    .padStart(3, '0')}`;
  const p = pid.toString(36);
  return {
    id: `${p}-${k}`,
    // interface names are limited to 15 characters
    bridge: `mmb${p}${k}`.slice(0, 15),
    netns: (i) => `${NETNS_PREFIX}${pid}-${k}-${i}`,
    veth: (i) => `mv${p}${k}_${i.toString(36)}`.slice(0, 15),
    address: (i) => `10.77.${Math.floor(i / 250)}.${(i % 250) + 1}`,
  };
}

/** The pid a cluster netns name was made by, or undefined for foreign names. */
export function ownerPid(netns: string): number | undefined {
  const m = /^mmc-(\d+)-[0-9a-z]+-\d+$/.exec(netns);
  return m ? Number(m[1]) : undefined;
}
