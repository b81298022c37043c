// `nuke [all]`: tear this daemon's own VMs and networking down, sweep what
// crashed instances left under -base (recovery/nuke.ts), answer with what was
// removed, then stop. Unlike the original it answers (a table of what went)
// and keeps the files directory unless `nuke all`.
import { join } from 'node:path';
import type { CommandModule } from '../../context.js';
import { cgroupRootOf } from '../../flags/cgroup-root.js';
import { NUKE_HEADER, nukeBase } from '../../recovery/nuke.js';

export const nukeModule: CommandModule = (d) => {
  d.cli.register({
    helpShort: 'attempt to clean up after a crash',
    helpLong: `After a crash, the VM state on the machine can be difficult to recover from.
nuke kills every process minimega started under -base (QEMU, containers,
dnsmasq, the embedded Open vSwitch), removes the taps and bridges it created,
mounts, cgroups and the instance directories, reports what it removed, and
then stops this daemon. The files directory (disk images) is kept; "nuke all"
removes it too. Without a daemon: "minimega -base <dir> -nuke [all]".`,
    patterns: ['nuke [all,]'],
    async call(cmd, out) {
      d.log.warn('nuke: tearing down this daemon and everything under its base');
      await d.teardown('nuked');
      const report = await nukeBase({
        base: d.flags.base,
        filepath: d.flags.filepath,
        cgroupRoot: cgroupRootOf(d.flags),
        all: cmd.boolArgs.all === true,
        keep: [join(d.flags.base, 'minimega'), join(d.flags.base, 'minimega.pid')],
        log: (m) => d.log.info(m),
      });
      out.respond({
        header: NUKE_HEADER,
        tabular: report.removed.map((r) => [r.kind, r.name, r.detail]),
        error: report.errors.join('\n'),
        data: report,
      });
      // the answer goes out first; then the daemon stops (its teardown already ran)
      setTimeout(() => void d.shutdown('nuked'), 20);
    },
  });
};
