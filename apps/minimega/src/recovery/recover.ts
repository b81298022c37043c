// `-recover`: after a crash (kill -9, OOM), take over what the previous
// daemon on this -base left: its VMs from their vm.json records (same ids,
// names, UUIDs, config, state; live processes reattached, QMP reconnected, a
// new VNC shim), its VLAN aliases, bridges, host taps and VM taps from the
// state files; the embedded OVS is adopted, not restarted. Each VM is
// recovered on its own: one bad record is reported, never fatal.
import { defaultVmConfig, type VmConfig, type VmRecord } from '@mm/qemu';
import type { Daemon } from '../context.js';
import { findInstances } from './instances.js';

export interface RecoverySummary {
  adopted: string[];
  stopped: string[];
  problems: string[];
  /** one line for the log and the person starting the daemon */
  text: string;
}

function label(r: { id: number; name: string; namespace: string }): string {
  return `${r.namespace}/${r.name} (id ${r.id})`;
}

export async function recoverPrevious(d: Daemon): Promise<RecoverySummary> {
  const problems: string[] = [];
  const records: VmRecord[] = [];
  for (const inst of await findInstances(d.flags.base)) {
    if (!inst.record) {
      problems.push(
        `instance ${inst.dir}: ${inst.problem || 'no vm.json (not written by this implementation)'}`,
      );
      continue;
    }
    const r = inst.record;
    const config = r.config;
    if (typeof config !== 'object' || config === null) {
      problems.push(`instance ${inst.dir}: vm.json has no config`);
      continue;
    }
    // fields a newer or older writer lacks take their defaults
    const full: VmConfig = { ...defaultVmConfig(), ...(config as Partial<VmConfig>) };
    const defaults: Partial<VmRecord> = {
      launchTime: Date.now(),
      tags: {},
      hotplug: [],
      vncPort: 0,
      ccActive: false,
      error: '',
    };
    records.push({
      ...defaults,
      ...(r as unknown as VmRecord),
      host: d.hostname,
      instanceDir: inst.dir,
      config: full,
    });
  }
  for (const ns of new Set(records.map((r) => r.namespace))) await d.namespaces.getOrCreate(ns);

  const net = d.services.recoverNetworking
    ? await d.services.recoverNetworking(
        records.flatMap((r) => r.taps.map((t) => ({ namespace: r.namespace, vm: r.name, ...t }))),
      )
    : undefined;
  problems.push(...(net?.errors ?? []));

  const host = d.services.vmHost;
  if (!host) throw new Error('-recover: the VM module is not running');
  const res = await host.adopt(records);
  const adopted = res.adopted.map(label);
  const stopped = res.stopped.map((s) => `${label(s.record)}: ${s.record.state} (${s.reason})`);
  problems.push(...res.skipped.map((s) => `${label(s.record)}: ${s.reason}`));
  const parts = [
    `recovered ${adopted.length} running VM(s)${adopted.length ? `: ${adopted.join(', ')}` : ''}`,
  ];
  if (stopped.length) parts.push(`${stopped.length} without a process: ${stopped.join('; ')}`);
  if (net)
    parts.push(
      `networking: ${net.aliases} VLAN alias(es), bridges [${net.bridges.join(' ')}], host taps [${net.hostTaps.join(' ')}], ${net.vmTaps} VM tap(s)`,
    );
  if (problems.length) parts.push(`not recovered: ${problems.join('; ')}`);
  return { adopted, stopped, problems, text: parts.join('; ') };
}
