// What a real-component gate checks before running: binaries on PATH, root.
// The checks return why a component is unusable (undefined when usable), the
// shape realComponent takes: `realComponent('ovs', ovsMissing)`.
import { execFileSync } from 'node:child_process';

/** true when `name` is on PATH (the shell's `command -v`) */
export function hasBinary(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why a private Open vSwitch in a network namespace cannot run here. */
export function ovsMissing(): string | undefined {
  for (const b of ['ovs-vsctl', 'ovs-vswitchd', 'ovsdb-server', 'ovsdb-tool', 'ip', 'tc']) {
    if (!hasBinary(b)) return `${b} not installed (Debian: openvswitch-switch, iproute2)`;
  }
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, taps)';
  return undefined;
}

/** Why OVS plus QEMU guests cannot run here. */
export function ovsQemuMissing(): string | undefined {
  return (
    ovsMissing() ??
    (hasBinary('qemu-system-x86_64')
      ? undefined
      : 'qemu-system-x86_64 not installed (Debian: qemu-system-x86)')
  );
}
