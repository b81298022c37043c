// `vm launch` is checked against what the host can hold before anything
// starts (issue 14 §3): the launch count, the host's memory (-max-mem-commit)
// and its VM count (-max-vms). A refused launch names the reason, starts no
// process and leaves nothing queued.
import { totalmem } from 'node:os';
import type { FakeDriver } from '@mm/qemu';
import { describe, expect, test } from 'vitest';
import { vmDaemon } from './harness.js';

const memTotal = Math.floor(totalmem() / 1024 / 1024);

describe('launch capacity', () => {
  test('vm launch kvm 100000 (and 2000000000) is refused up front with the reason', async () => {
    await using d = await vmDaemon();
    const driver = d.driver as FakeDriver;
    for (const n of ['100000', '2000000000']) {
      const r = await d.run(`vm launch kvm ${n}`);
      expect(r.errors.join('\n')).toMatch(/^cannot launch \d+ VMs: more than 10000 in one launch/);
    }
    expect(driver.processes.size).toBe(0);
    expect((await d.run('vm info')).text).not.toMatch(/vm-/);
    expect((await d.run('ns queue')).text).toBe('');
  });

  test('memory: the sum of the VMs memory past -max-mem-commit percent of MemTotal is refused before any VM starts', async () => {
    await using d = await vmDaemon();
    const driver = d.driver as FakeDriver;
    // default 200%: as many 2048 MB VMs as fit in twice the host's memory, plus one
    const fit = Math.floor((2 * memTotal) / 2048);
    const r = await d.run(`vm launch kvm ${fit + 1}`);
    expect(r.errors.join('\n')).toMatch(
      new RegExp(
        `^does not fit: an unnamed VM \\(queue entry 0\\) needs 1 vCPU\\(s\\), 2048 MB; no host has room: 1 of 1 host\\(s\\) have less than 2048 MB left \\(the most: \\d+ of ${2 * memTotal} MB on testhost, memory overcommit 2 × ${memTotal} MB\\)`,
      ),
    );
    expect(driver.processes.size).toBe(0);
    // the refused launch left nothing queued: a launch that fits goes ahead alone
    expect((await d.run('ns queue')).text).toBe('');
    expect((await d.run('vm launch kvm 2')).errors).toEqual([]);
    expect(driver.processes.size).toBe(2);
  });

  test('-max-mem-commit 0 turns the memory check off; -max-mem-commit 50 halves it', async () => {
    await using off = await vmDaemon({ flags: { 'max-mem-commit': 0 } });
    expect((await off.run(`vm config memory ${4 * memTotal}`)).errors).toEqual([]);
    expect((await off.run('vm launch kvm 1')).errors).toEqual([]);

    await using half = await vmDaemon({ flags: { 'max-mem-commit': 50 } });
    await half.run(`vm config memory ${Math.floor(memTotal / 2) + 1}`);
    expect((await half.run('vm launch kvm 1')).errors.join('\n')).toMatch(
      /no host has room.*memory overcommit 0\.5 × \d+ MB/,
    );
  });

  test('-max-vms: a launch past the host VM count is refused whole, naming the limit', async () => {
    await using d = await vmDaemon({ flags: { 'max-vms': 3 } });
    const driver = d.driver as FakeDriver;
    await d.run('vm config memory 1');
    expect((await d.run('vm launch kvm a,b')).errors).toEqual([]);
    const r = await d.run('vm launch kvm c,d');
    expect(r.errors.join('\n')).toMatch(/does not fit: .*max 3 VMs per host/);
    expect(driver.processes.size).toBe(2);
    expect((await d.run('host vmlimit')).text).toMatch(/3/);
    expect((await d.run('vm launch kvm c')).errors).toEqual([]);
  });
});

describe('files a VM is launched with', () => {
  test('disks, cdrom, kernel and initrd the daemon must not hand out are refused before any VM starts', async () => {
    await using d = await vmDaemon();
    const driver = d.driver as FakeDriver;
    await d.run('vm config memory 1');
    for (const [line, why] of [
      ['vm config disk /etc/shadow', 'refusing /etc/shadow: a system secret'],
      [
        'vm config cdrom /proc/self/environ',
        'refusing /proc/self/environ: files under /proc are not served',
      ],
      ['vm config kernel /etc/shadow', 'refusing /etc/shadow: a system secret'],
    ] as const) {
      await d.run('clear vm config');
      await d.run('vm config memory 1');
      expect((await d.run(line)).errors).toEqual([]);
      expect((await d.run('vm launch kvm a')).errors).toEqual([why]);
    }
    expect(driver.processes.size).toBe(0);
    // a file that is not there yet is QEMU's to report, not refused here
    await d.run('clear vm config');
    await d.run('vm config memory 1');
    await d.run('vm config disk not-there-yet.qcow2');
    expect((await d.run('vm launch kvm a')).errors).toEqual([]);
    expect(driver.processes.size).toBe(1);
  });
});
