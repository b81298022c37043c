// `host [field]`: this host's figures, one table row (the mesh merges rows of
// every host of the namespace). VM figures come from services.vmStats and
// bandwidth from services.bandwidth when those modules are loaded.
import {
  cpus,
  type HostStatsData,
  loadAverage,
  memoryMB,
  uptime,
  uptimeSeconds,
} from './host-stats.js';
import type { LocalModule } from './types.js';

const COLUMNS = [
  'name',
  'cpus',
  'load',
  'memused',
  'memtotal',
  'bandwidth',
  'uptime',
  'vms',
  'vmlimit',
  'cpucommit',
  'memcommit',
  'netcommit',
] as const;
const FIELDS = [
  'cpucommit',
  'cpus',
  'load',
  'memcommit',
  'memtotal',
  'memused',
  'name',
  'netcommit',
  'rx',
  'tx',
  'uptime',
  'vms',
  'vmlimit',
  'androidvms',
];

export const hostCommand: LocalModule = (d) => {
  /**
   * The figures for `fields`, each computed only when asked for: `host name`
   * (sent to every host by `mesh send all host name`) reads nothing from /proc.
   */
  function values(fields: readonly string[]): Record<string, string> {
    let mem: { total: number; used: number } | undefined;
    const memory = () => {
      mem ??= memoryMB();
      return mem;
    };
    const bw = () => d.services.bandwidth?.() ?? { rx: 0, tx: 0 };
    const vm = () => d.services.vmStats?.() ?? { vms: 0, cpucommit: 0, memcommit: 0, netcommit: 0 };
    const figure: Record<string, () => string> = {
      name: () => d.hostname,
      cpus: () => String(cpus()),
      load: loadAverage,
      memused: () => String(memory().used),
      memtotal: () => String(memory().total),
      bandwidth: () => {
        const b = bw();
        return `${b.rx.toFixed(1)}/${b.tx.toFixed(1)} (rx/tx MB/s)`;
      },
      rx: () => bw().rx.toFixed(1),
      tx: () => bw().tx.toFixed(1),
      uptime,
      vms: () => String(vm().vms),
      vmlimit: () => String(vm().vmlimit ?? 0),
      cpucommit: () => String(vm().cpucommit),
      memcommit: () => String(vm().memcommit),
      netcommit: () => String(vm().netcommit),
      androidvms: () => String(vm().androidvms ?? 0),
    };
    const out: Record<string, string> = {};
    for (const f of fields) out[f] = figure[f]?.() ?? '';
    return out;
  }

  /** minimega fills `Data` with its HostStats for programs (the Python bindings read it) */
  function statsData(): HostStatsData {
    const mem = memoryMB();
    const bw = d.services.bandwidth?.() ?? { rx: 0, tx: 0 };
    const vm = d.services.vmStats?.() ?? { vms: 0, cpucommit: 0, memcommit: 0, netcommit: 0 };
    return {
      Name: d.hostname,
      RxBps: bw.rx,
      TxBps: bw.tx,
      CPUs: cpus(),
      MemTotal: mem.total,
      MemUsed: mem.used,
      VMs: vm.vms,
      AndroidVMs: vm.androidvms ?? 0,
      Limit: vm.vmlimit ?? 0,
      CPUCommit: vm.cpucommit,
      MemCommit: vm.memcommit,
      NetworkCommit: vm.netcommit,
      Load: loadAverage(),
      Uptime: Math.round(uptimeSeconds() * 1e9),
    };
  }

  d.cli.register({
    helpShort: 'report information about hosts',
    helpLong: `Report information about the host:

- bandwidth  : RX/TX bandwidth stats
- cpucommit  : total cpu commit
- cpus       : number of cpus
- load       : system load average
- memcommit  : total memory commit in MB
- memtotal   : total memory in MB
- memused    : memory used in MB
- name       : host name
- netcommit  : total network interface commit
- rx         : RX bandwidth in MB/s
- tx         : TX bandwidth in MB/s
- uptime     : host uptime
- vms        : number of VMs
- vmlimit    : VM limit for the scheduler
- androidvms : number of android VMs (always 0 here)

All fields are displayed by default.`,
    patterns: ['host', ...FIELDS.map((f) => `host <${f},>`)],
    call(cmd, out) {
      const field = FIELDS.find((f) => cmd.boolArgs[f]);
      if (field) {
        out.respond({ response: values([field])[field] ?? '', data: statsData() });
        return;
      }
      const v = values(COLUMNS);
      out.respond({
        header: [...COLUMNS],
        tabular: [COLUMNS.map((c) => v[c] ?? '')],
        data: statsData(),
      });
    },
  });
};
