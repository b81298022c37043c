// The real-OVS gate, plus the namespace/OVS fixtures from hosts.ts.
import { execFileSync } from 'node:child_process';
import { test } from 'vitest';

function hasBinary(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Same contract as test-support's realComponent (CI=true: a missing component
 * fails, never skips; elsewhere skip saying why). Kept local because
 * test-support/real.ts does not typecheck under this package's tsconfig yet.
 */
function realComponent(name: string, check: () => string | undefined) {
  let why = '';
  try {
    why = check() ?? '';
  } catch (err) {
    why = err instanceof Error ? err.message : String(err);
  }
  const ok = why === '';
  if (ok) return { ok, why, test };
  const reason = `${name} unavailable: ${why}`;
  if (process.env.CI === 'true') {
    const failing = ((title: string) =>
      test(title, () => {
        throw new Error(`${reason} (CI=true: real-component tests never skip)`);
      })) as unknown as typeof test;
    return { ok, why, test: failing };
  }
  console.warn(`[skip] ${reason}`);
  return { ok, why, test: test.skip as unknown as typeof test };
}

export const realOvs = realComponent('ovs', () => {
  for (const b of ['ovs-vsctl', 'ovs-vswitchd', 'ovsdb-server', 'ovsdb-tool', 'ip', 'tc']) {
    if (!hasBinary(b)) return `${b} not installed (Debian: openvswitch-switch, iproute2)`;
  }
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, taps)';
  return undefined;
});

export { createNetns, type Netns, type OvsHost, startOvsHost, uniqueName } from './hosts.js';
