// Per-namespace VM state (namespace slots) and the node-wide pieces: the VM
// id counter (shared by all namespaces) and the driver.
import { type NamespaceInfo, slotKey } from '@mm/namespace';
import { defaultVmConfig, type KvmVm, type VmConfig, type VmDriver } from '@mm/qemu';
import type { Daemon } from '../../context.js';

export interface VmNamespaceState {
  /** the current `vm config` */
  config: VmConfig;
  /** `vm config save NAME` */
  saved: Map<string, VmConfig>;
  /** VMs of this namespace on this node, by id */
  vms: Map<number, KvmVm>;
  /** counter for unnamed VMs (`vm-N`), never reset by flush */
  unnamed: number;
  /** serializes launches so name/UUID checks and inserts do not race */
  launching: Promise<unknown>;
}

/** Runs `fn` after every earlier launch of the namespace has finished. */
export function serialLaunch<T>(st: VmNamespaceState, fn: () => Promise<T>): Promise<T> {
  const next = st.launching.then(fn, fn);
  st.launching = next.catch(() => {});
  return next;
}

export const VM_STATE = slotKey<VmNamespaceState>('vm', () => ({
  config: defaultVmConfig(),
  saved: new Map(),
  vms: new Map(),
  unnamed: 0,
  launching: Promise.resolve(),
}));

export interface VmModuleContext {
  d: Daemon;
  driver: VmDriver;
  /** next VM id (node-wide) */
  nextId(): number;
}

/** The namespace a command runs in: its tag, else the active one. */
export async function resolveNs(d: Daemon, tag: string): Promise<NamespaceInfo> {
  return d.namespaces.getOrCreate(tag || d.namespaces.active);
}

/** Every VM on this node, all namespaces. */
export function allVms(d: Daemon): KvmVm[] {
  const out: KvmVm[] = [];
  for (const n of d.namespaces.names()) {
    const ns = d.namespaces.get(n);
    if (ns) out.push(...ns.slot(VM_STATE).vms.values());
  }
  return out;
}
