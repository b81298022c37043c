// The records behind a HostNetwork: the bridges minimega manages (and whether
// they pre-existed), every tap on them, detached VM taps, trunks, tunnels,
// mirrors, the VLAN alias table and the tap-name counter, plus the state
// files that mirror them on disk. Internal: the package's operations
// (host-network.ts) change them under the lock.
import { join } from 'node:path';
import type { QosSpec, Switch } from '../switch.js';
import { type Alias, VlanTable } from '../vlans/table.js';
import { Mutex } from './lock.js';
import type { SwitchProvider } from './provider.js';
import { alignTable, StateFiles } from './state-files.js';
import type { NetLogger, TapInfo } from './types.js';

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

export interface MirrorRecord {
  namespace: string;
  bridge: string;
}

export function tapInfo(t: TapRecord): TapInfo {
  return {
    name: t.name,
    bridge: t.bridge,
    vlan: t.vlan,
    host: t.host,
    namespace: t.namespace,
    ...(t.vm !== undefined ? { vm: t.vm } : {}),
    ...(t.mac !== undefined ? { mac: t.mac } : {}),
    ...(t.qos !== undefined ? { qos: { ...t.qos } } : {}),
  };
}

export class NetRecords {
  readonly bridges = new Map<string, ManagedBridge>();
  /** VM taps currently on no bridge (vm net disconnect), by name */
  readonly detached = new Map<string, TapRecord>();
  /** mirrors by destination tap */
  readonly mirrors = new Map<string, MirrorRecord>();
  readonly vlans: VlanTable;
  readonly lock = new Mutex();
  readonly files = new StateFiles();
  #tapCounter = 0;
  /** orders tap records by creation */
  recordSeq = 0;

  constructor(
    readonly provider: SwitchProvider,
    readonly base: string,
    defaultRange: { min: number; max: number } | undefined,
    /** teardown is best effort: failures are logged, never thrown */
    readonly log: NetLogger,
    readonly onAliasCreated: (alias: Alias, vlan: number) => void,
  ) {
    this.vlans = new VlanTable(defaultRange ? { defaultRange } : {});
  }

  warn(msg: string): void {
    this.log.warn(msg);
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
      br = this.addBridge(n, !created);
      await this.writeBridges();
    }
    return br;
  }

  addBridge(name: string, preexisting: boolean): ManagedBridge {
    const br: ManagedBridge = {
      name,
      preexisting,
      taps: new Map(),
      trunks: new Set(),
      tunnels: new Set(),
      config: new Map(),
    };
    this.bridges.set(name, br);
    return br;
  }

  allTaps(): TapRecord[] {
    return [
      ...[...this.bridges.values()].flatMap((b) => [...b.taps.values()]),
      ...this.detached.values(),
    ];
  }

  /** The taps of each VM in namespace `ns`, in NIC order (creation order). */
  vmTaps(ns: string): Map<string, TapRecord[]> {
    const out = new Map<string, TapRecord[]>();
    for (const t of this.allTaps()
      .filter((t) => !t.host && t.namespace === ns && t.vm !== undefined)
      .sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0))) {
      const list = out.get(t.vm!) ?? [];
      list.push(t);
      out.set(t.vm!, list);
    }
    return out;
  }

  /** The bridge and record of a tap on a bridge. */
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

  /** Removes mirrors (by destination); call under the lock. Best effort. */
  async removeMirrorsLocked(sw: Switch, dsts: string[]): Promise<void> {
    for (const dst of dsts) {
      const m = this.mirrors.get(dst);
      if (!m) continue;
      await sw
        .removeMirror(m.bridge, dst)
        .catch((e: unknown) => this.warn(`remove mirror: ${String(e)}`));
      this.mirrors.delete(dst);
    }
  }

  /** Deletes taps that are on bridges (host taps); call under the lock. */
  async deleteTapsLocked(sw: Switch, names: string[]): Promise<void> {
    const doomed = names
      .map((n) => this.findTap(n))
      .filter((x): x is NonNullable<typeof x> => x !== undefined);
    if (doomed.length === 0) return;
    await sw.deleteTaps(doomed.map((x) => ({ bridge: x.bridge.name, name: x.tap.name })));
    for (const x of doomed) x.bridge.taps.delete(x.tap.name);
    await this.writeTaps();
    await this.writeBridges();
  }

  /** Removes every tap, trunk and tunnel of a bridge, then the bridge unless it pre-existed. */
  async destroyBridgeLocked(sw: Switch, br: ManagedBridge): Promise<void> {
    await sw.deleteTaps([...br.taps.values()].map((t) => ({ bridge: br.name, name: t.name })));
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
  }

  // --- state files ---------------------------------------------------------

  writeBridges(): Promise<void> {
    return this.files.write(join(this.base, 'bridges'), () =>
      alignTable(
        ['Bridge', 'Existed before minimega', 'Active VLANS'],
        [...this.bridges.values()]
          .sort((a, b) => (a.name < b.name ? -1 : 1))
          .map((b) => [b.name, String(b.preexisting), `[${this.activeVlans(b).join(' ')}]`]),
      ),
    );
  }

  writeTaps(): Promise<void> {
    return this.files.write(join(this.base, 'taps'), () => {
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
    return this.files.write(join(this.base, 'vlans'), () => {
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
    await this.files.remove(join(this.base, 'bridges'));
    await this.files.flush();
  }

  activeVlans(b: ManagedBridge): number[] {
    return [...new Set([...b.taps.values()].filter((t) => t.vlan >= 0).map((t) => t.vlan))];
  }
}
