// The real-OVS gate, plus the namespace/OVS fixtures from hosts.ts.
import { execFileSync } from 'node:child_process';
import { realComponent } from '#test-support';

function hasBinary(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function ovsMissing(): string | undefined {
  for (const b of ['ovs-vsctl', 'ovs-vswitchd', 'ovsdb-server', 'ovsdb-tool', 'ip', 'tc']) {
    if (!hasBinary(b)) return `${b} not installed (Debian: openvswitch-switch, iproute2)`;
  }
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, taps)';
  return undefined;
}

export const realOvs = realComponent('ovs', ovsMissing);

/** OVS plus QEMU (guests). */
export const realOvsQemu = realComponent('ovs+qemu', () => {
  const why = ovsMissing();
  if (why) return why;
  return hasBinary('qemu-system-x86_64')
    ? undefined
    : 'qemu-system-x86_64 not installed (Debian: qemu-system-x86)';
});

export { createNetns, type Netns, type OvsHost, startOvsHost, uniqueName } from './hosts.js';
