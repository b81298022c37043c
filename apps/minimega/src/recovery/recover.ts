// `-recover`: after a crash (kill -9, OOM), take over what the previous
// daemon on this -base left: its VMs from their vm.json records (same ids,
// names, UUIDs, config, state; live processes reattached, QMP reconnected, a
// new VNC shim), its VLAN aliases, bridges, host taps and VM taps from the
// state files; the embedded OVS is adopted, not restarted. Each VM is
// recovered on its own: one bad record is reported, never fatal.
import { defaultVmConfig, type VmConfig, type VmRecord } from '@mm/qemu';
import type { Daemon } from '../context.js';
import { findInstances, type Instance } from './instances.js';
import { listProcs, type ProcInfo, signal, stillRuns, waitGone } from './procs.js';

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

const LIVE = new Set(['BUILDING', 'RUNNING', 'PAUSED']);

/**
 * The QEMU that runs this instance (its command line names the instance dir)
 * when the record's pid does not: the record is written just after each
 * answer, so a crash right after `vm start` relaunched a QUIT VM leaves the
 * old pid and state on disk while the new QEMU runs (QEMU's own pidfile
 * names it first; a scan of /proc finds one killed before writing it).
 */
function unrecordedQemu(inst: Instance, qemus: ProcInfo[]): number | undefined {
  const mark = `${inst.dir}/`;
  if (inst.record && inst.record.type !== 'kvm') return undefined;
  if (inst.record && inst.record.pid > 0 && stillRuns(inst.record.pid, mark)) return undefined;
  const mine = qemus.filter((p) => p.argv.some((a) => a.includes(mark)));
  return (mine.find((p) => p.pid === inst.qemuPid) ?? mine[0])?.pid;
}

export async function recoverPrevious(d: Daemon): Promise<RecoverySummary> {
  const problems: string[] = [];
  const corrected: string[] = [];
  const records: VmRecord[] = [];
  const instances = await findInstances(d.flags.base);
  const qemus =
    instances.length > 0 ? listProcs().filter((p) => p.comm.startsWith('qemu-system')) : [];
  for (const inst of instances) {
    const qemuPid = unrecordedQemu(inst, qemus);
    if (!inst.record) {
      let why = inst.problem || 'no vm.json (not written by this implementation)';
      // nothing says what VM it is (a crash mid-launch): never leave it running unmanaged
      if (qemuPid !== undefined && signal(qemuPid, 'SIGKILL')) {
        await waitGone(qemuPid, 5000);
        why += `; its QEMU (pid ${qemuPid}) was killed`;
      }
      problems.push(`instance ${inst.dir}: ${why}`);
      continue;
    }
    const r =
      qemuPid === undefined
        ? inst.record
        : {
            ...inst.record,
            pid: qemuPid,
            // QMP query-status gives the run state on adoption; the record's is stale
            state: LIVE.has(inst.record.state) ? inst.record.state : 'RUNNING',
            error: '',
          };
    if (qemuPid !== undefined) {
      corrected.push(
        `${label(r)}: record said ${inst.record.state} pid ${inst.record.pid}, QEMU runs as pid ${qemuPid}`,
      );
    }
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
    const record = { ...defaults, ...(r as unknown as VmRecord) };
    if (qemuPid !== undefined) {
      // a stale error tag must not follow the relaunched VM
      const { error: _c, ...configTags } = (full.tags ?? {}) as Record<string, string>;
      const { error: _t, ...tags } = record.tags ?? {};
      full.tags = configTags;
      record.tags = tags;
    }
    records.push({
      ...record,
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
  if (corrected.length)
    parts.push(`records one change behind, taken from QEMU's pidfile: ${corrected.join('; ')}`);
  if (stopped.length) parts.push(`${stopped.length} without a process: ${stopped.join('; ')}`);
  if (net)
    parts.push(
      `networking: ${net.aliases} VLAN alias(es), bridges [${net.bridges.join(' ')}], host taps [${net.hostTaps.join(' ')}], ${net.vmTaps} VM tap(s)`,
    );
  if (problems.length) parts.push(`not recovered: ${problems.join('; ')}`);
  return { adopted, stopped, problems, text: parts.join('; ') };
}
