// Shared helpers for the real-OVS tests: the gate, a throwaway network
// namespace, and a private OVS running inside it.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { execa } from 'execa';
import { test } from 'vitest';
import { type PrivateOvs, startPrivateOvs } from '../src/index.js';

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

let seq = 0;
/** A unique short name (pid-based) for netns, bridges and taps. */
export function uniqueName(prefix: string): string {
  return `${prefix}${process.pid % 100000}${(seq++).toString(36)}`;
}

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
