// `check`: are the external programs minimega uses installed? Also run at
// startup, where problems are only warnings (daemon.md §2 step 7.1).
import { lookPath } from './lookpath.js';
import type { LocalModule } from './types.js';

export const EXTERNAL_PROGRAMS = [
  'dnsmasq',
  'kvm',
  'mount',
  'dhclient',
  'ip',
  'scp',
  'ssh',
  'cp',
  'qemu-img',
  'ntfs-3g',
  'blockdev',
  'ovs-vsctl',
  'taskset',
  'tar',
  'qemu-system-x86_64',
];

export function missingPrograms(programs: readonly string[] = EXTERNAL_PROGRAMS): string[] {
  return programs.filter((p) => {
    try {
      lookPath(p);
      return false;
    } catch {
      return true;
    }
  });
}

export const checkCommand: LocalModule = (d) => {
  d.cli.register({
    helpShort: 'check that all external executables dependencies exist',
    helpLong: `Check that the external programs minimega may run are installed:
${EXTERNAL_PROGRAMS.join(', ')}. Each missing one is reported; some are only
needed by some commands.`,
    patterns: ['check'],
    call() {
      const missing = missingPrograms();
      if (missing.length > 0) throw new Error(`missing external programs: ${missing.join(', ')}`);
    },
  });
  const missing = missingPrograms();
  if (missing.length > 0)
    d.log.warn(`missing external programs (some commands will fail): ${missing.join(', ')}`);
};
