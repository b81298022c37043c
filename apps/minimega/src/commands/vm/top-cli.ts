// `vm top [duration]` (vm-qemu.md §7.2, a broadcast command): every host of
// the namespace samples its VMs' processes over the same window at once;
// one table per host (the output layer adds the host column).
import type { VmTopRow } from '@mm/qemu';
import { goDuration } from './format.js';
import type { VmModuleContext } from './index.js';
import { cluster, resolveNs, row, scopeHosts } from './state.js';

export const TOP_COLUMNS = [
  'name',
  'virt',
  'res',
  'shr',
  'cpu',
  'vcpu',
  'time',
  'procs',
  'rx',
  'tx',
];
/** the longest window, seconds */
const MAX_SECONDS = 3600;

const mb = (bytes: number) => String(Math.floor(bytes / (1024 * 1024)));
const pct = (f: number) => (f * 100).toFixed(2);

/** One row as minimega prints it: MB, percent, whole-second CPU time, MB/s. */
export function topCells(r: VmTopRow): string[] {
  return [
    r.name,
    mb(r.virt),
    mb(r.res),
    mb(r.shr),
    pct(r.cpu),
    pct(r.vcpu),
    goDuration(Math.floor(r.cpuTimeMs / 1000) * 1000),
    String(r.procs),
    r.rx.toFixed(2),
    r.tx.toFixed(2),
  ];
}

export function registerTop(m: VmModuleContext): void {
  const { d } = m;
  d.cli.register({
    helpShort: 'view vm resource utilization',
    helpLong: `View resource use per VM, measured from its host (the guest may see it
differently). The optional duration is the sampling window in whole seconds
(default 1); the command takes at least that long. Columns:
- name  : name of the VM
- virt  : virtual memory size (MB)
- res   : resident memory size (MB)
- shr   : shared memory size (MB)
- cpu   : host CPU usage (%)
- vcpu  : guest CPU usage (%) (KVM only)
- time  : total CPU time
- procs : number of processes inspected (at most 100)
- rx    : data rate the VM received (MB/s)
- tx    : data rate the VM sent (MB/s)`,
    patterns: ['vm top [duration]'],
    async call(cmd, out, env) {
      const raw = cmd.stringArgs.duration ?? '1';
      if (!/^\d+$/.test(raw) || Number(raw) > MAX_SECONDS)
        throw new Error(`invalid duration: \`${raw}\` (whole seconds, 0 to ${MAX_SECONDS})`);
      const ns = await resolveNs(d, cmd.namespace);
      const q = { namespace: ns.name, durationMs: Number(raw) * 1000 };
      const opts = env.signal ? { signal: env.signal } : {};
      const res = await cluster(d).each(scopeHosts(d, cmd, ns), (h) => h.top(q, opts));
      out.emit(
        res.map((r) =>
          r.ok
            ? row(r.host, {
                header: TOP_COLUMNS,
                tabular: r.value.map(topCells),
                data: r.value.map((v) => ({ ...v, host: r.host })),
              })
            : row(r.host, { error: r.error.message }),
        ),
      );
    },
  });
}
