// The networking module's records: the bridges minimega manages (and whether
// they pre-existed), every tap on them, trunks, tunnels, mirrors, qos, the
// VLAN alias table, and the tap-name generator. All OVS work goes through
// `withSwitch`, serialised by one lock.
import { join } from 'node:path';
import { slotKey } from '@mm/namespace';
import { type Alias, DEFAULT_VLAN_NAMESPACE, type QosSpec, type Switch, VlanTable } from '@mm/ovs';
import type { SwitchProvider } from './connection.js';
import { alignTable, flushStateFiles, removeStateFile, writeStateFile } from './files.js';
import { Mutex } from './lock.js';

export const DEFAULT_BRIDGE = 'mega_bridge';
export const TAP_PREFIX = 'mega_tap';

export interface TapRecord {
  name: string;
  bridge: string;
  /** -1 = disconnected */
  vlan: number;
  /** a host tap (`tap create`) rather than a VM NIC */
  host: boolean;
  namespace: string;
  vm?: string;
  mac?: string;
  qos?: QosSpec;
  /** creation order (a VM's NIC index follows it) */
  seq?: number;
}

export interface ManagedBridge {
  name: string;
  preexisting: boolean;
  taps: Map<string, TapRecord>;
  trunks: Set<string>;
  tunnels: Set<string>;
  /** `bridge config` keys that were set */
  config: Map<string, string>;
}

/** Host taps created in a namespace (namespace.md §1 `Taps`). */
export const HOST_TAPS = slotKey('net.hostTaps', () => new Set<string>());
/** Mirror destination taps created in a namespace (`Mirrors`). */
export const MIRRORS = slotKey('net.mirrors', () => new Map<string, string>());

export class NetState {
  readonly bridges = new Map<string, ManagedBridge>();
  /** VM taps currently on no bridge (vm net disconnect), by name */
  readonly detached = new Map<string, TapRecord>();
  readonly vlans: VlanTable;
  readonly lock = new Mutex();
  #tapCounter = 0;
  /** orders tap records by creation */
  recordSeq = 0;
  /** told about every newly allocated alias (the module broadcasts it to mesh peers) */
  onAliasCreated: (alias: Alias, vlan: number) => void = () => {};

  constructor(
    readonly provider: SwitchProvider,
    readonly base: string,
    defaultRange: { min: number; max: number },
    /** teardown is best effort: failures are logged, never thrown */
    readonly warn: (msg: string) => void = () => {},
  ) {
    this.vlans = new VlanTable({ defaultRange });
  }

  /** Runs fn under the bridge lock with the switch. */
  withSwitch<T>(fn: (sw: Switch) => Promise<T>): Promise<T> {
    return this.lock.run(async () => fn(await this.provider.get()));
  }

  /** Resolves a VLAN word in namespace ns, persisting and announcing new aliases. */
  lookupVlan(ns: string, word: string): number {
    const { vlan, created } = this.vlans.lookup(ns, word);
    if (created) {
      void this.writeVlans();
      this.onAliasCreated(created, vlan);
    }
    return vlan;
  }

  /** Lazily creates (or adopts) a bridge; call under the lock. An empty name is mega_bridge. */
  async bridgeLocked(sw: Switch, name: string): Promise<ManagedBridge> {
    const n = name === '' ? DEFAULT_BRIDGE : name;
    let br = this.bridges.get(n);
    if (!br) {
      const { created } = await sw.ensureBridge(n);
      br = {
        name: n,
        preexisting: !created,
        taps: new Map(),
        trunks: new Set(),
        tunnels: new Set(),
        config: new Map(),
      };
      this.bridges.set(n, br);
      await this.writeBridges();
    }
    return br;
  }

  /** The taps of each VM in namespace `ns`, in NIC order (creation order). */
  vmTaps(ns: string): Map<string, TapRecord[]> {
    const out = new Map<string, TapRecord[]>();
    const all = [
      ...[...this.bridges.values()].flatMap((b) => [...b.taps.values()]),
      ...this.detached.values(),
    ];
    for (const t of all
      .filter((t) => !t.host && t.namespace === ns && t.vm !== undefined)
      .sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0))) {
      const list = out.get(t.vm!) ?? [];
      list.push(t);
      out.set(t.vm!, list);
    }
    return out;
  }

  /** The bridge and record of a tap, wherever it is. */
  findTap(name: string): { bridge: ManagedBridge; tap: TapRecord } | undefined {
    for (const bridge of this.bridges.values()) {
      const tap = bridge.taps.get(name);
      if (tap) return { bridge, tap };
    }
    return undefined;
  }

  /** Next `mega_tapN` not present on the host (names are never reused in one process). */
  nextTapName(existing: Set<string>): string {
    for (;;) {
      const name = `${TAP_PREFIX}${this.#tapCounter++}`;
      if (!existing.has(name) && !this.findTap(name) && !this.detached.has(name)) {
        existing.add(name);
        return name;
      }
    }
  }

  /** Removes every tap, trunk and tunnel of a bridge, then the bridge unless it pre-existed. */
  async destroyBridgeLocked(sw: Switch, br: ManagedBridge): Promise<string[]> {
    const removedHostTaps: string[] = [];
    await sw.deleteTaps([...br.taps.values()].map((t) => ({ bridge: br.name, name: t.name })));
    for (const t of br.taps.values()) if (t.host) removedHostTaps.push(t.name);
    br.taps.clear();
    for (const p of [...br.trunks, ...br.tunnels]) {
      await sw
        .removePort(br.name, p)
        .catch((e: unknown) => this.warn(`remove ${p} from ${br.name}: ${String(e)}`));
    }
    br.trunks.clear();
    br.tunnels.clear();
    if (!br.preexisting) {
      await sw
        .deleteBridge(br.name)
        .catch((e: unknown) => this.warn(`delete bridge ${br.name}: ${String(e)}`));
    }
    this.bridges.delete(br.name);
    await this.writeBridges();
    await this.writeTaps();
    return removedHostTaps;
  }

  // --- state files ---------------------------------------------------------

  writeBridges(): Promise<void> {
    return writeStateFile(join(this.base, 'bridges'), () =>
      alignTable(
        ['Bridge', 'Existed before minimega', 'Active VLANS'],
        [...this.bridges.values()]
          .sort((a, b) => (a.name < b.name ? -1 : 1))
          .map((b) => [b.name, String(b.preexisting), `[${this.activeVlans(b).join(' ')}]`]),
      ),
    );
  }

  writeTaps(): Promise<void> {
    return writeStateFile(join(this.base, 'taps'), () => {
      const rows: string[][] = [];
      for (const b of this.bridges.values()) {
        for (const t of b.taps.values()) {
          if (t.host) rows.push([b.name, t.name, this.vlans.printAlias('', t.vlan)]);
        }
      }
      return alignTable(['Bridge', 'Tap', 'VLAN'], rows);
    });
  }

  writeVlans(): Promise<void> {
    return writeStateFile(join(this.base, 'vlans'), () => {
      const all = this.vlans.allAliases();
      return all.length === 0
        ? ''
        : alignTable(
            ['Alias', 'VLAN'],
            all.map((a) => [a.alias, String(a.vlan)]),
          );
    });
  }

  async removeFiles(): Promise<void> {
    await removeStateFile(join(this.base, 'bridges'));
    await flushStateFiles();
  }

  activeVlans(b: ManagedBridge): number[] {
    return [...new Set([...b.taps.values()].filter((t) => t.vlan >= 0).map((t) => t.vlan))];
  }
}

export { DEFAULT_VLAN_NAMESPACE };
