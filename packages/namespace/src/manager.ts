// Namespaces group hosts and scope VMs, VLAN aliases and the launch queue
// (namespace.md). The manager only tracks names, hosts and which namespace
// is active; each namespace owns its vm configs, `ns bridge` tunnels and
// VNC recordings/playbacks (stopped when it is deleted);
// other subsystems keep per-namespace state in slots and listen for
// creation and deletion.
import type { VncSessions } from '@mm/qemu';
import type { NamespaceTunnels } from './tunnels.js';
import type { NamespaceVmConfigs } from './vm-configs.js';

export const DEFAULT_NAMESPACE = 'minimega';

/** A typed key for per-namespace state a subsystem keeps (VMs, vm config, taps...). */
export interface SlotKey<T> {
  readonly name: string;
  readonly init: (ns: NamespaceInfo) => T;
}

export function slotKey<T>(name: string, init: (ns: NamespaceInfo) => T): SlotKey<T> {
  return { name, init };
}

export interface NamespaceInfo {
  readonly name: string;
  /** hosts that belong to the namespace (the local host by default) */
  readonly hosts: Set<string>;
  /** the current `vm config` and the saved ones */
  readonly vmConfigs: NamespaceVmConfigs;
  /** bridges `ns bridge` tunnelled between the hosts */
  readonly tunnels: NamespaceTunnels;
  /** VNC kb/fb recordings and kb playbacks, by VM */
  readonly vnc: VncSessions;
  /** this namespace's state for `key`, created on first use */
  slot<T>(key: SlotKey<T>): T;
}

export type NamespaceListener = (ns: NamespaceInfo) => void | Promise<void>;

export interface NamespaceManager {
  /** the active namespace's name */
  readonly active: string;
  names(): string[];
  get(name: string): NamespaceInfo | undefined;
  /** create if missing (running create listeners) */
  getOrCreate(name: string): Promise<NamespaceInfo>;
  /** make `name` active, creating it if missing */
  activate(name: string): Promise<NamespaceInfo>;
  /** delete `name` (running delete listeners); deleting the active one re-activates the default */
  delete(name: string): Promise<void>;
  onCreate(fn: NamespaceListener): void;
  onDelete(fn: NamespaceListener): void;
}
