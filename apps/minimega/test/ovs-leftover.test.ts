// An embedded Open vSwitch left running by a daemon that died is stopped when
// the next daemon starts on the same base (issue 14 §3), unless VMs of the
// dead daemon still run (then -recover reuses it, -nuke removes it).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPrivateOvs } from '@mm/ovs';
import { execa } from 'execa';
import { expect } from 'vitest';
import { ovsMissing, realComponent, uniqueName } from '#test-support';
import { inProcessDaemonOn, tempBase } from './helpers.js';

const real = realComponent('ovs', ovsMissing);

/** running (a zombie waiting for init to reap it counts as stopped) */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) [ZX] /s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

real.test(
  'a daemon starting on a base stops the embedded OVS a dead daemon left there',
  async () => {
    await using base = await tempBase();
    const netns = uniqueName('mmo');
    await execa('ip', ['netns', 'add', netns]);
    try {
      // what a daemon killed with -9 leaves: a detached private OVS in <base>/ovs
      const ovs = await startPrivateOvs({ dir: join(base.path, 'ovs'), netns });
      const { ovsdb, vswitchd } = ovs.pids;
      try {
        expect([alive(ovsdb), alive(vswitchd)]).toEqual([true, true]);
        await using d = await inProcessDaemonOn(base.path);
        expect([alive(ovsdb), alive(vswitchd)]).toEqual([false, false]);
        expect(d.lines.join('\n')).toMatch(
          /stopped the embedded Open vSwitch a previous daemon left in .*\/ovs: ovs-vswitchd \(pid \d+\), ovsdb-server \(pid \d+\)/,
        );
      } finally {
        await ovs.close();
      }
    } finally {
      await execa('ip', ['netns', 'del', netns], { reject: false });
    }
  },
);
