// The whole stack: a daemon process (in its own network namespace, with its
// embedded OVS) launches tiny guests whose NICs the networking module puts on
// VLANs; a host tap on one VLAN reaches the guests on it and not the guest on
// another; flush, clear and quit leave nothing behind.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect } from 'vitest';
import { MinimegaClient } from '../../src/client/connection.js';
import { ownProcesses, realOvsQemu, uniqueName } from './real-support.js';

const appDir = fileURLToPath(new URL('../..', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../..', import.meta.url));
const real = realOvsQemu;

async function guestImage(): Promise<{ kernel: string; initrd: string }> {
  const r = await execa('node', ['--import', 'tsx', 'tools/guest-image/src/cli.ts'], {
    cwd: repoRoot,
  });
  const kernel = /^kernel (.+)$/m.exec(r.stdout)?.[1];
  const initrd = /^initrd (.+)$/m.exec(r.stdout)?.[1];
  if (!kernel || !initrd) throw new Error(`guest-image printed no paths: ${r.stdout}`);
  return { kernel, initrd };
}

describe('VMs on VLANs through the daemon', () => {
  real.test(
    'a host tap reaches the guests on its VLAN only; flush and quit remove every tap',
    async () => {
      const img = await guestImage();
      const netns = uniqueName('mmv');
      await execa('ip', ['netns', 'add', netns]);
      await execa('ip', ['netns', 'exec', netns, 'ip', 'link', 'set', 'lo', 'up']);
      const base = `/tmp/mm-net-vm-${process.pid}-${netns}`;
      const inNs = (...argv: string[]) =>
        execa('ip', ['netns', 'exec', netns, ...argv], { reject: false });
      const daemon = execa(
        'ip',
        [
          'netns',
          'exec',
          netns,
          'node',
          '--conditions=source',
          '--import',
          'tsx',
          join(appDir, 'src/main.ts'),
          '-base',
          base,
          '-nostdin',
          '-accel',
          'tcg',
          '-port',
          String(21000 + (process.pid % 20000)),
        ],
        {
          cwd: appDir,
          reject: false,
          stdin: 'ignore',
          env: { OVS_RUNDIR: join(base, 'no-ovs-here') },
        },
      );
      try {
        const c = await MinimegaClient.dial(join(base, 'minimega'), { waitMs: 30_000 });
        const run = async (line: string) => {
          const replies = await c.runAll(line);
          const errors = replies
            .flatMap((r) => r.Resp ?? [])
            .map((r) => r.Error)
            .filter((e) => e !== '');
          if (errors.length > 0) throw new Error(`${line}: ${errors.join('; ')}`);
          return replies.map((r) => r.Rendered).join('');
        };
        const response = async (line: string) => {
          const replies = await c.runAll(line);
          return replies
            .flatMap((r) => r.Resp ?? [])
            .map((r) => (r.Error ? `E: ${r.Error}` : r.Response))
            .join('');
        };
        const boot = (ip: string) =>
          `vm config qemu-append -kernel ${img.kernel} -initrd ${img.initrd} -append "console=ttyS0 quiet panic=-1 mm.ip=${ip}"`;
        await run('vm config memory 160');
        await run('vm config net LAN,virtio-net-pci');
        await run(boot('10.80.0.1/24'));
        await run('vm launch kvm a');
        await run(boot('10.80.0.2/24'));
        await run('vm launch kvm b');
        await run('vm config net DMZ,virtio-net-pci');
        await run(boot('10.80.0.3/24'));
        await run('vm launch kvm c');
        await run('vm start all');
        expect(await run('.columns name,vlan vm info')).toMatch(/a\s+\| \[LAN \(101\)\]/);
        expect(await response('tap create LAN ip 10.80.0.254/24 mm_vth')).toBe('mm_vth');

        const env = { OVS_RUNDIR: join(base, 'ovs') };
        const ports = (
          await execa('ovs-vsctl', ['list-ports', 'mega_bridge'], { env })
        ).stdout.split('\n');
        expect(ports).toHaveLength(4);

        const reach = async (ip: string, tries: number) => {
          for (let i = 0; i < tries; i++) {
            const r = await inNs('busybox', 'ping', '-c', '1', '-W', '2', ip);
            if (r.exitCode === 0) return true;
          }
          return false;
        };
        // guests boot under TCG in a few seconds; allow for a busy machine
        expect(await reach('10.80.0.1', 60)).toBe(true);
        expect(await reach('10.80.0.2', 30)).toBe(true);
        expect(await reach('10.80.0.3', 3)).toBe(false);

        await run('vm kill all');
        await run('vm flush');
        expect((await execa('ovs-vsctl', ['list-ports', 'mega_bridge'], { env })).stdout).toBe(
          'mm_vth',
        );
        await run('clear tap');
        expect((await execa('ovs-vsctl', ['list-ports', 'mega_bridge'], { env })).stdout).toBe('');
        await c.runAll('quit').catch(() => undefined);
        await c.close().catch(() => undefined);
        expect((await daemon).exitCode).toBe(0);
        const left = (await inNs('ip', '-o', 'link', 'show')).stdout;
        expect(left).not.toMatch(/mega_|ovs-netdev|mm_vth/);
      } finally {
        // a clean stop kills the guests; only then force, and reap what is left by pid
        if (daemon.exitCode === null) {
          daemon.kill('SIGTERM');
          const t = setTimeout(() => daemon.kill('SIGKILL'), 10_000);
          await daemon;
          clearTimeout(t);
        }
        for (const pid of ownProcesses(base)) process.kill(pid, 'SIGKILL');
        await execa('ip', ['netns', 'del', netns], { reject: false });
        await execa('rm', ['-rf', base]);
      }
    },
    240_000,
  );
});
