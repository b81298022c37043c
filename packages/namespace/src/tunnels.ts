// The GRE/VXLAN bridges `ns bridge` made between a namespace's hosts, and
// their tunnel keys, so `ns del-bridge` and `clear namespace` can tear
// them down (namespace.md §ns bridge). Only the record lives here; the
// bridges themselves are each host's OVS state (@mm/ovs).
import { UnknownTunnelBridgeError } from './errors.js';

export interface NamespaceTunnel {
  readonly bridge: string;
  /** the tunnel key every host's end of this bridge uses */
  readonly key: number;
}

export interface NamespaceTunnels {
  /** record `bridge` (made again: the new key replaces the old) */
  add(bridge: string, key: number): void;
  has(bridge: string): boolean;
  /** the record of `bridge`; UnknownTunnelBridgeError when this namespace did not make it */
  get(bridge: string): NamespaceTunnel;
  /** forget `bridge`; false when it was not recorded */
  remove(bridge: string): boolean;
  /** the recorded bridges, in the order first made */
  list(): NamespaceTunnel[];
}

export function createNamespaceTunnels(): NamespaceTunnels {
  const keys = new Map<string, number>();
  return {
    add(bridge, key) {
      keys.set(bridge, key);
    },
    has: (bridge) => keys.has(bridge),
    get(bridge) {
      const key = keys.get(bridge);
      if (key === undefined) throw new UnknownTunnelBridgeError(bridge);
      return { bridge, key };
    },
    remove: (bridge) => keys.delete(bridge),
    list: () => [...keys].map(([bridge, key]) => ({ bridge, key })),
  };
}
