// The daemon's last resort (-shutdown-timeout overrun, or a 'vm' shutdown
// step that gave up) kills its VMs' processes by what the VM host knows, not
// only its descendants: a VM adopted with -recover was started by a previous
// daemon. A recorded pid that now runs something else is left alone.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { killManagedVms } from '../src/daemon/processes.js';
import { procInfo, waitGone } from '../src/recovery/procs.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function sleeper(cwd: string) {
  // detached, so it is no child of the test's own process group
  const p = execa('sleep', ['1000'], { cwd, reject: false, detached: true });
  cleanups.push(async () => {
    p.kill('SIGKILL');
    await p;
  });
  return p.pid as number;
}

describe('killManagedVms', () => {
  it("kills every VM process the host lists when it still runs in the VM's instance dir", async () => {
    const base = await mkdtemp(join(tmpdir(), `mm-kmv-${process.pid}-`));
    cleanups.push(() => rm(base, { recursive: true, force: true }));
    const dirs = ['0', '1', '2'].map((n) => join(base, n));
    await Promise.all(dirs.map((d) => execa('mkdir', ['-p', d])));
    const a = await sleeper(dirs[0]!);
    const b = await sleeper(dirs[1]!);
    // a pid reused by an unrelated process: its cwd is not the VM's
    const other = await sleeper(base);
    const vms: Record<string, { pid: number; instanceDir: string }[]> = {
      default: [{ pid: a, instanceDir: dirs[0]! }],
      other: [
        { pid: b, instanceDir: dirs[1]! },
        { pid: other, instanceDir: dirs[2]! },
        { pid: 0, instanceDir: dirs[2]! },
      ],
    };
    const n = killManagedVms({ namespaces: () => Object.keys(vms), vmsOf: (ns) => vms[ns] ?? [] });
    expect(n).toBe(2);
    expect(await waitGone(a, 5000)).toBe(true);
    expect(await waitGone(b, 5000)).toBe(true);
    expect(procInfo(other)).toBeDefined();
    expect(killManagedVms(undefined)).toBe(0);
  });
});
