// The real-OVS gate, plus the namespace/OVS fixtures from hosts.ts.
import { ovsMissing, ovsQemuMissing, realComponent } from '#test-support';

export const realOvs = realComponent('ovs', ovsMissing);

/** OVS plus QEMU (guests). */
export const realOvsQemu = realComponent('ovs+qemu', ovsQemuMissing);

export { createNetns, type Netns, type OvsHost, startOvsHost, uniqueName } from './hosts.js';
