// `ns save [name]` and its deprecated alias `ns snapshot [name]`
// (namespace.md §7): with a name, save every VM of the namespace and a
// launch.mm that brings them back (@mm/namespace saveNamespace); without,
// how many of the namespace's VM saves have completed.
import { LAUNCH_STATE, saveNamespace, saveProgress } from '@mm/namespace';
import type { Daemon } from '../../context.js';
import { cluster, resolveNs } from '../vm/state.js';

export function registerNsSave(d: Daemon): void {
  d.cli.register({
    helpShort: 'save (snapshot) every VM of the namespace',
    helpLong: `ns save NAME pauses every VM of the namespace on all its hosts, saves each
KVM's memory state and disks to <files>/saved/NAME/<vm>.state and .hdd (or
under NAME when it is an absolute path) and writes launch.mm there, a script
that relaunches them all ('read' it). It returns once every state file is
complete. Containers keep only their config. ns save with no name prints how
many VM saves have completed (completed, total). ns snapshot is the
deprecated name.`,
    patterns: ['ns save [name]', 'ns snapshot [name]'],
    async call(cmd, out, env) {
      const ns = await resolveNs(d, cmd.namespace);
      const name = cmd.stringArgs.name;
      if (name === undefined) {
        const p = await saveProgress(cluster(d), ns, env.signal);
        out.respond({
          header: ['completed', 'total'],
          tabular: [[String(p.completed), String(p.total)]],
        });
        return;
      }
      await saveNamespace({
        cluster: cluster(d),
        ns,
        queueing: ns.slot(LAUNCH_STATE).queueing,
        name,
        filesDir: d.flags.filepath,
        ...(env.signal ? { signal: env.signal } : {}),
        progress: (done, total) => env.status?.(`ns save ${name}: ${done}/${total} VMs saved`),
        log: (level, msg) => d.log[level](msg),
      });
      out.respond({});
    },
  });
}
