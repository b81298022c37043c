// What a QEMU binary supports: CPU models, machine types, NIC drivers
// (vm-qemu.md §1.1, §2.1). Results are cached per binary (+ machine).
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import { DEFAULT_QEMU } from './config.js';
import { ConfigValueError } from './errors.js';

/** `$PATH` lookup without spawning a shell (launch resolves the binary for every VM). */
async function onPath(name: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      await access(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not in this dir
    }
  }
  return false;
}

let systemQemu: Promise<string> | undefined;

/** `kvm` (minimega's default) means "the system QEMU": prefer qemu-system-x86_64 on $PATH. */
export function resolveQemuBinary(qemu: string): Promise<string> {
  if (qemu !== DEFAULT_QEMU) return Promise.resolve(qemu);
  systemQemu ??= onPath('qemu-system-x86_64').then((ok) =>
    ok ? 'qemu-system-x86_64' : DEFAULT_QEMU,
  );
  return systemQemu;
}

const cache = new Map<string, Promise<string[]>>();

function cached(key: string, fn: () => Promise<string[]>): Promise<string[]> {
  let p = cache.get(key);
  if (!p) {
    p = fn();
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

async function run(qemu: string, args: string[]): Promise<string> {
  const bin = await resolveQemuBinary(qemu);
  const r = await execa(bin, args, {
    reject: false,
    timeout: 10_000,
    env: { QEMU_AUDIO_DRV: 'none' },
  });
  if (r.failed && r.stdout === '') throw new Error(r.shortMessage);
  return r.stdout;
}

/** Machine types of `<qemu> -M ?`. */
export function probeMachines(qemu: string): Promise<string[]> {
  return cached(`M|${qemu}`, async () => {
    const out = await run(qemu, ['-M', '?']);
    return out
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/)[0] ?? '')
      .filter((w) => w !== '');
  });
}

/** CPU models of `<qemu> [-M m] -cpu ?`. */
export function probeCpus(qemu: string, machine: string): Promise<string[]> {
  return cached(`C|${qemu}|${machine}`, async () => {
    const out = await run(qemu, [...(machine ? ['-M', machine] : []), '-cpu', '?']);
    const cpus: string[] = [];
    for (const l of out.split('\n')) {
      const m = /^\S+\s+(\S+)/.exec(l);
      if (m && !l.endsWith(':') && m[1]) cpus.push(m[1]);
    }
    return cpus;
  });
}

/** NIC drivers: the "Network devices:" section of `<qemu> [-M m] -device ?`. */
export function probeNicDrivers(qemu: string, machine = ''): Promise<string[]> {
  return cached(`N|${qemu}|${machine}`, async () => {
    const out = await run(qemu, [...(machine ? ['-M', machine] : []), '-device', '?']);
    const drivers: string[] = [];
    let inNet = false;
    for (const l of out.split('\n')) {
      if (l.startsWith('Network devices:')) inNet = true;
      else if (l.trim() === '') inNet = false;
      else if (inNet) {
        const w = l.trim().split(/\s+/)[1];
        if (w) drivers.push(w.replace(/[",]/g, ''));
      }
    }
    return drivers;
  });
}

export async function validateCpu(qemu: string, machine: string, cpu: string): Promise<void> {
  let cpus: string[];
  try {
    cpus = await probeCpus(qemu, machine);
  } catch (err) {
    if (!machine)
      throw new ConfigValueError(
        'unable to determine valid QEMU CPUs, try configuring machine first',
      );
    throw new ConfigValueError(`unable to determine valid QEMU CPUs -- ${(err as Error).message}`);
  }
  if (!cpus.includes(cpu)) throw new ConfigValueError(`invalid QEMU CPU: \`${cpu}\`, see help`);
}

export async function validateMachine(qemu: string, machine: string): Promise<void> {
  let machines: string[];
  try {
    machines = await probeMachines(qemu);
  } catch (err) {
    throw new ConfigValueError(
      `unable to determine valid QEMU machines -- ${(err as Error).message}`,
    );
  }
  if (!machines.includes(machine))
    throw new ConfigValueError(`invalid QEMU machine: \`${machine}\`, see help`);
}
