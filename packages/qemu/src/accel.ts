// Acceleration as a setting: `auto | kvm | tcg`. /dev/kvm existing is not
// proof: on some hosts (nested virt) a Linux guest hangs under KVM right after
// the BIOS. So `auto` boots a probe kernel under KVM and only uses KVM when
// the kernel prints its banner in time; otherwise TCG.
import { constants } from 'node:fs';
import { access, readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Accel } from './argv.js';
import { resolveQemuBinary } from './probe.js';

export type AccelSetting = 'auto' | Accel;

export interface ProbeAccelOptions {
  qemu?: string;
  /** a kernel to boot under KVM; default: $MM_KVM_PROBE_KERNEL, /boot/vmlinuz-*, the guest-image cache */
  kernel?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  log?: (msg: string) => void;
}

async function usable(p: string, mode = constants.R_OK): Promise<boolean> {
  return access(p, mode).then(
    () => true,
    () => false,
  );
}

async function findProbeKernel(): Promise<string | undefined> {
  const candidates: string[] = [];
  if (process.env.MM_KVM_PROBE_KERNEL) candidates.push(process.env.MM_KVM_PROBE_KERNEL);
  const boot = await readdir('/boot').catch(() => [] as string[]);
  candidates.push(...boot.filter((f) => f.startsWith('vmlinuz')).map((f) => join('/boot', f)));
  const cache = process.env.MM_GUEST_CACHE || join(homedir(), '.cache', 'mm-guest');
  for (const d of await readdir(cache).catch(() => [] as string[]))
    candidates.push(join(cache, d, 'vmlinuz'));
  for (const c of candidates) if (await usable(c)) return c;
  return undefined;
}

/** Decides the accelerator for `auto`: KVM only if a probe kernel really runs under it. */
export async function probeAccel(opts: ProbeAccelOptions = {}): Promise<Accel> {
  const log = opts.log ?? (() => {});
  if (!(await usable('/dev/kvm', constants.R_OK | constants.W_OK))) {
    log('accel: /dev/kvm not usable, using tcg');
    return 'tcg';
  }
  const kernel = opts.kernel ?? (await findProbeKernel());
  if (!kernel) {
    log('accel: no kernel to prove KVM works, using tcg');
    return 'tcg';
  }
  const bin = await resolveQemuBinary(opts.qemu ?? 'kvm');
  const child = execa(
    bin,
    [
      '-accel',
      'kvm',
      '-cpu',
      'host',
      '-m',
      '128',
      '-display',
      'none',
      '-nodefaults',
      '-no-reboot',
      '-serial',
      'stdio',
      '-kernel',
      kernel,
      '-append',
      'console=ttyS0 panic=-1',
    ],
    { reject: false, stdin: 'ignore', buffer: false, cancelSignal: opts.signal },
  );
  const ok = await new Promise<boolean>((resolve) => {
    let out = '';
    const timer = setTimeout(() => resolve(false), opts.timeoutMs ?? 8000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (/Linux version|Run \/init|Freeing unused kernel/.test(out)) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    void child.then(() => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  child.kill('SIGKILL');
  await child;
  log(`accel: KVM probe ${ok ? 'booted' : 'did not boot'} ${kernel}: using ${ok ? 'kvm' : 'tcg'}`);
  return ok ? 'kvm' : 'tcg';
}

/** Resolves a setting once (auto probes on first use) and caches the answer. */
export function accelResolver(
  setting: AccelSetting,
  opts: ProbeAccelOptions = {},
): () => Promise<Accel> {
  if (setting !== 'auto') return () => Promise.resolve(setting);
  let p: Promise<Accel> | undefined;
  return () => {
    p ??= probeAccel(opts);
    return p;
  };
}
