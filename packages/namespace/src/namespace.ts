import { VncSessions } from '@mm/qemu';
import type { NamespaceInfo, SlotKey } from './manager.js';
import { createNamespaceTunnels, type NamespaceTunnels } from './tunnels.js';
import { createNamespaceVmConfigs, type NamespaceVmConfigs } from './vm-configs.js';

/** One namespace: its hosts, vm configs, tunnels, VNC sessions and the per-subsystem state slots. */
export class Namespace implements NamespaceInfo {
  readonly hosts: Set<string>;
  readonly vmConfigs: NamespaceVmConfigs = createNamespaceVmConfigs();
  readonly tunnels: NamespaceTunnels = createNamespaceTunnels();
  readonly vnc = new VncSessions();
  readonly #slots = new Map<SlotKey<unknown>, unknown>();

  constructor(
    readonly name: string,
    hosts: Iterable<string>,
  ) {
    this.hosts = new Set(hosts);
  }

  slot<T>(key: SlotKey<T>): T {
    if (!this.#slots.has(key as SlotKey<unknown>)) {
      this.#slots.set(key as SlotKey<unknown>, key.init(this));
    }
    return this.#slots.get(key as SlotKey<unknown>) as T;
  }
}
