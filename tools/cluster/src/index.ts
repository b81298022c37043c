// @mm/cluster: N minimega hosts on one machine, each in its own network
// namespace (veth into a private bridge) with its own hostname. Needs root.

/** Why a cluster cannot run here ('' when it can): root, `ip`, `unshare`. */
export { clusterUnavailable } from './check.js';
export {
  type Cluster,
  type ClusterHost,
  type ClusterOptions,
  type HostExit,
  shutdownGraceMs,
  startCluster,
} from './cluster.js';
export { type Lab, type LabHost, type LabHostSpec, startLab } from './lab.js';
export { clusterNames, ownerPid } from './names.js';
export { sweepStale } from './net.js';
export { describeOrphan, leftQemus, qemuUnder, sigkillPending } from './orphans.js';
export { ensureSea, seaPath } from './sea.js';
export { runSoak, type SoakOptions, type SoakReport } from './soak.js';
export { makeKeyPair, type Sshd, startSshd } from './sshd.js';
export { startVirtualHost, type VirtualHost, virtualHostFromPid } from './vhost.js';
