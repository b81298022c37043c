// createHostNetwork: one host's networking state and its operations (the
// HostNetwork contract in types.ts). Tap creates and deletes that arrive
// together (a `vm launch` of many VMs) are coalesced into one switch batch:
// one `ip -batch` and one `ovs-vsctl` for all of them.
import { formatQos } from '../qos.js';
import type { QosSpec, Switch, TapSpec } from '../switch.js';
import { startBandwidthMeter } from './bandwidth.js';
import { coalesce, type Waiter } from './coalesce.js';
import {
  BadMirrorError,
  HostTapSetupError,
  NetworkCapabilityError,
  NotHostTapError,
  ReservedNameError,
  TapExistsError,
  TrunkExistsError,
  TunnelError,
  UnknownMirrorError,
  UnknownPortError,
  UnknownTapError,
} from './errors.js';
import type { SwitchProvider } from './provider.js';
import {
  DEFAULT_BRIDGE,
  type ManagedBridge,
  NetRecords,
  type TapRecord,
  tapInfo,
} from './records.js';
import { recoverNet, restoreVlans } from './recover.js';
import type { HostNetwork, HostNetworkOptions, TapInfo } from './types.js';

interface CreateRequest {
  namespace: string;
  vm: string;
  bridge: string;
  vlan: number;
  mac: string;
}
type PendingCreate = CreateRequest & Waiter<string>;
type PendingDelete = { tap: string } & Waiter<void>;

const silent = { info: () => {}, warn: () => {} };

function isProvider(s: Switch | SwitchProvider): s is SwitchProvider {
  return 'get' in s && typeof s.get === 'function' && 'connected' in s;
}

/** A provider around a given switch. */
export function fixedSwitchProvider(sw: Switch): SwitchProvider {
  return { get: async () => sw, connected: true, close: async () => {} };
}

/**
 * minimega's ``<what> error <err>: `<output>` ``: the exit status, then the
 * command's own words once (the failed command's message already holds them).
 */
function setupError(step: 'ip' | 'dhcp', err: unknown): HostTapSetupError {
  const e = err as { message?: string; stderr?: string; exitCode?: number };
  if (e.stderr === undefined) return new HostTapSetupError(step, e.message ?? String(err));
  const status = e.exitCode === undefined ? 'failed' : `exit status ${e.exitCode}`;
  return new HostTapSetupError(step, `${status}: \`${e.stderr.trim()}\``);
}

export function createHostNetwork(opts: HostNetworkOptions): HostNetwork {
  const log = opts.log ?? silent;
  const provider = isProvider(opts.switch) ? opts.switch : fixedSwitchProvider(opts.switch);
  const st = new NetRecords(
    provider,
    opts.baseDir,
    opts.vlanRange,
    log,
    opts.onAliasCreated ?? (() => {}),
  );
  const meter = startBandwidthMeter(st, opts.bandwidthPeriodMs ?? 5_000);
  let closed = false;

  async function createBatch(batch: PendingCreate[]): Promise<void> {
    await st.withSwitch(async (sw) => {
      const ok: PendingCreate[] = [];
      for (const p of batch) {
        try {
          await st.bridgeLocked(sw, p.bridge);
          ok.push(p);
        } catch (err) {
          p.reject(err);
        }
      }
      batch = ok;
      if (batch.length === 0) return;
      const existing = new Set(await sw.links());
      const specs: TapSpec[] = batch.map((p) => ({
        bridge: p.bridge === '' ? DEFAULT_BRIDGE : p.bridge,
        name: st.nextTapName(existing),
        vlan: p.vlan,
      }));
      const record = (p: PendingCreate, s: TapSpec) => {
        st.bridges.get(s.bridge)?.taps.set(s.name, {
          name: s.name,
          bridge: s.bridge,
          vlan: s.vlan,
          host: false,
          namespace: p.namespace,
          vm: p.vm,
          mac: p.mac,
          seq: st.recordSeq++,
        });
      };
      try {
        await sw.createTaps(specs);
        batch.forEach((p, i) => {
          record(p, specs[i]!);
          p.resolve(specs[i]!.name);
        });
      } catch (err) {
        if (batch.length === 1) {
          batch[0]!.reject(err);
        } else {
          // all-or-nothing failed: retry one by one so only the bad request fails
          for (const [i, p] of batch.entries()) {
            try {
              await sw.createTaps([specs[i]!]);
              record(p, specs[i]!);
              p.resolve(specs[i]!.name);
            } catch (e) {
              p.reject(e);
            }
          }
        }
      }
      await st.writeBridges();
    });
  }

  async function deleteBatch(batch: PendingDelete[]): Promise<void> {
    await st.withSwitch(async (sw) => {
      try {
        await sw.deleteTaps(
          batch.map((p) => ({ bridge: st.findTap(p.tap)?.bridge.name ?? '', name: p.tap })),
        );
        for (const p of batch) {
          st.findTap(p.tap)?.bridge.taps.delete(p.tap);
          st.detached.delete(p.tap);
          p.resolve();
        }
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
      await st.writeBridges();
    });
  }

  const submitCreate = coalesce<CreateRequest, string>(createBatch);
  const submitDelete = coalesce<{ tap: string }, void>(deleteBatch);

  /** a managed bridge by name ('' = mega_bridge), made when missing, under the lock */
  const onBridge = <T>(name: string, fn: (sw: Switch, br: ManagedBridge) => Promise<T>) =>
    st.withSwitch(async (sw) => fn(sw, await st.bridgeLocked(sw, name)));

  /** every tap record with that name, on a bridge or detached */
  const recordOf = (name: string): TapRecord | undefined =>
    st.findTap(name)?.tap ?? st.detached.get(name);

  /** Destroys every managed bridge (pre-existing ones only lose our ports). */
  const destroyAll = async () => {
    if (!provider.connected) return;
    await st.withSwitch(async (sw) => {
      await st.removeMirrorsLocked(sw, [...st.mirrors.keys()]);
      for (const br of [...st.bridges.values()]) await st.destroyBridgeLocked(sw, br);
      if (st.detached.size > 0) {
        await sw.deleteTaps([...st.detached.keys()].map((name) => ({ bridge: '', name })));
        st.detached.clear();
      }
    });
  };

  /** a namespace's host taps in creation order */
  const hostTapNames = (ns: string): string[] => {
    const out: TapRecord[] = [];
    for (const b of st.bridges.values())
      for (const t of b.taps.values()) if (t.host && t.namespace === ns) out.push(t);
    return out.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0)).map((t) => t.name);
  };

  const net: HostNetwork = {
    // ── VLANs ──
    resolveVlan: (ns, word) => st.lookupVlan(ns, word),
    printVlan: (ns, vlan) => (vlan < 0 ? 'disconnected' : st.vlans.print(ns, vlan)),
    printAlias: (ns, vlan) => (vlan < 0 ? 'disconnected' : st.vlans.printAlias(ns, vlan)),
    vlanRange: (ns) => st.vlans.range(ns),
    async setVlanRange(ns, min, max) {
      const before = st.vlans.range(ns);
      st.vlans.setRange(ns, min, max);
      for (const { alias, vlan } of st.vlans.allAliases()) {
        if (vlan >= min && vlan < max && (!before || vlan < before.min || vlan >= before.max)) {
          log.warn(`VLAN ${vlan} (${alias}) is inside the new range of ${ns}: hole in range`);
        }
      }
    },
    async addVlanAlias(ns, alias, vlan) {
      st.vlans.addAlias(ns, alias, vlan);
      await st.writeVlans();
    },
    vlanAliases: (ns) => st.vlans.aliases(ns),
    async blacklistVlan(vlan) {
      st.vlans.blacklist(vlan);
      await st.writeVlans();
    },
    blacklistedVlans: () => st.vlans.blacklisted(),
    async clearVlans(ns, prefix) {
      st.vlans.clear(ns, prefix);
      await st.writeVlans();
    },
    async clearAllVlans() {
      st.vlans.clearAll();
      await st.writeVlans();
    },

    // ── bridges ──
    ensureBridge: (name) => onBridge(name, async (_sw, br) => br.name),
    bridges: () =>
      [...st.bridges.values()]
        .sort((x, y) => (x.name < y.name ? -1 : 1))
        .map((br) => ({
          name: br.name,
          preexisting: br.preexisting,
          vlans: st.activeVlans(br),
          trunks: [...br.trunks].sort(),
          tunnels: [...br.tunnels].sort(),
          config: Object.fromEntries([...br.config].sort()),
        })),
    addTrunk: (bridge, iface) =>
      onBridge(bridge, async (sw, br) => {
        if (br.trunks.has(iface)) throw new TrunkExistsError(iface);
        await sw.addTrunk(br.name, iface);
        br.trunks.add(iface);
      }),
    removeTrunk: (bridge, iface) =>
      onBridge(bridge, async (sw, br) => {
        if (!br.trunks.has(iface)) throw new UnknownPortError('trunk', iface);
        await sw.removePort(br.name, iface);
        br.trunks.delete(iface);
      }),
    addTunnel: (t) =>
      onBridge(t.bridge, async (sw, br) => {
        const name = st.nextTapName(new Set(await sw.links()));
        try {
          await sw.addTunnel({
            bridge: br.name,
            name,
            type: t.type,
            remoteIp: t.remoteIp,
            ...(t.key !== undefined ? { key: t.key } : {}),
          });
        } catch (err) {
          throw new TunnelError(err as Error);
        }
        br.tunnels.add(name);
        return name;
      }),
    removeTunnel: (bridge, port) =>
      onBridge(bridge, async (sw, br) => {
        if (!br.tunnels.has(port)) throw new UnknownPortError('tunnel', port);
        await sw.removePort(br.name, port);
        br.tunnels.delete(port);
      }),
    configureBridge: (bridge, key, value) =>
      onBridge(bridge, async (sw, br) => {
        await sw.configureBridge(br.name, key, value);
        br.config.set(key, value);
      }),
    destroyBridge: (bridge) => onBridge(bridge, (sw, br) => st.destroyBridgeLocked(sw, br)),

    // ── host taps and mirrors ──
    async createHostTap(t) {
      const bridge = t.bridge ?? '';
      const wanted = t.name ?? '';
      if (bridge === 'all') throw new ReservedNameError('bridge');
      if (wanted === 'all') throw new ReservedNameError('tap');
      const vlan = st.lookupVlan(t.namespace, t.vlan);
      return onBridge(bridge, async (sw, br) => {
        if (wanted !== '' && st.findTap(wanted)) throw new TapExistsError(wanted);
        const tap = wanted !== '' ? wanted : st.nextTapName(new Set(await sw.links()));
        await sw.createHostTap({ bridge: br.name, name: tap, vlan });
        try {
          if (t.ip !== undefined) {
            await sw.addAddress(tap, t.ip).catch((err: unknown) => {
              throw setupError('ip', err);
            });
          } else if (t.dhcp) {
            await sw.requestDhcp(tap).catch((err: unknown) => {
              throw setupError('dhcp', err);
            });
          }
        } catch (err) {
          await sw
            .deleteTaps([{ bridge: br.name, name: tap }])
            .catch((e: unknown) => st.warn(`remove tap ${tap}: ${String(e)}`));
          throw err;
        }
        br.taps.set(tap, {
          name: tap,
          bridge: br.name,
          vlan,
          host: true,
          namespace: t.namespace,
          seq: st.recordSeq++,
        });
        await st.writeTaps();
        await st.writeBridges();
        return tap;
      });
    },
    hostTaps: (ns) =>
      hostTapNames(ns)
        .map((n) => st.findTap(n)?.tap)
        .filter((t): t is TapRecord => t !== undefined)
        .map(tapInfo),
    deleteHostTap: (ns, name) =>
      st.withSwitch(async (sw) => {
        if (name === 'all') return st.deleteTapsLocked(sw, hostTapNames(ns));
        const found = st.findTap(name);
        if (!found) throw new UnknownTapError(name);
        if (!found.tap.host) throw new NotHostTapError(name);
        if (found.tap.namespace !== ns) throw new NotHostTapError(name, true);
        await st.deleteTapsLocked(sw, [name]);
      }),
    async addMirror(m) {
      if (m.src === m.dst) throw new BadMirrorError('cannot mirror tap to itself');
      await onBridge(m.bridge, async (sw, br) => {
        const ports = new Set((await sw.bridge(br.name))?.ports.map((p) => p.name) ?? []);
        if (!ports.has(m.src)) throw new BadMirrorError('source tap is not on bridge');
        if (!ports.has(m.dst)) throw new BadMirrorError('destination tap is not on bridge');
        if (st.mirrors.has(m.dst)) throw new BadMirrorError('destination tap is already a mirror');
        await sw.addMirror({ bridge: br.name, dst: m.dst, src: m.src });
        st.mirrors.set(m.dst, { namespace: m.namespace, bridge: br.name });
      });
    },
    mirrors: (ns) =>
      [...st.mirrors]
        .filter(([, m]) => m.namespace === ns)
        .map(([dst, m]) => ({ dst, bridge: m.bridge, namespace: m.namespace })),
    removeMirrors: (ns, dsts, strict) =>
      st.withSwitch(async (sw) => {
        const mine = (dst: string) => st.mirrors.get(dst)?.namespace === ns;
        const all = dsts === 'all' ? [...st.mirrors.keys()].filter(mine) : dsts;
        if (strict) {
          const bad = all.find((d) => !mine(d));
          if (bad !== undefined) throw new UnknownMirrorError(bad);
        }
        await st.removeMirrorsLocked(sw, all.filter(mine));
      }),
    async clearNamespaceTaps(ns) {
      const taps = hostTapNames(ns);
      const mirrors = net.mirrors(ns).map((m) => m.dst);
      if (taps.length === 0 && mirrors.length === 0) return;
      await st.withSwitch(async (sw) => {
        await st.removeMirrorsLocked(sw, mirrors);
        await st.deleteTapsLocked(sw, taps);
      });
    },

    // ── VM NICs ──
    createTap(o) {
      o.signal?.throwIfAborted();
      return submitCreate({
        namespace: o.namespace,
        vm: o.vm,
        bridge: o.bridge,
        vlan: o.vlan,
        mac: o.mac,
      });
    },
    deleteTap: (o) => submitDelete({ tap: o.tap }),
    async attachVeth(o) {
      o.signal?.throwIfAborted();
      const veth = opts.veth;
      if (!veth) throw new NetworkCapabilityError('this host network makes no veth pairs');
      return onBridge(o.bridge, async (sw, br) => {
        const name = st.nextTapName(new Set(await sw.links()));
        // the container end is made inside its netns (eth<i>, its MAC); ours goes on the bridge
        await veth.create({ tap: name, peer: o.peer, mac: o.mac, pid: o.pid }, o.signal);
        try {
          await sw.connectPort(br.name, name, o.vlan);
        } catch (err) {
          await veth.remove(name);
          throw err;
        }
        br.taps.set(name, {
          name,
          bridge: br.name,
          vlan: o.vlan,
          host: false,
          namespace: o.namespace,
          vm: o.vm,
          mac: o.mac,
          seq: st.recordSeq++,
        });
        await st.writeBridges();
        return name;
      });
    },
    connectTap: (o) =>
      onBridge(o.bridge, async (sw, br) => {
        await sw.connectPort(br.name, o.tap, o.vlan);
        const old = st.findTap(o.tap);
        const rec = old?.tap ?? st.detached.get(o.tap);
        old?.bridge.taps.delete(o.tap);
        st.detached.delete(o.tap);
        br.taps.set(o.tap, {
          ...(rec ?? { name: o.tap, host: false, namespace: '' }),
          bridge: br.name,
          vlan: o.vlan,
        });
        await st.writeBridges();
      }),
    disconnectTap: (o) =>
      st.withSwitch(async (sw) => {
        const found = st.findTap(o.tap);
        const bridge = found?.bridge.name ?? o.bridge;
        await sw.removePort(bridge, o.tap).catch((err: unknown) => {
          if ((err as { code?: string }).code !== 'ERR_NO_SUCH_PORT') throw err;
        });
        if (found) {
          found.bridge.taps.delete(o.tap);
          st.detached.set(o.tap, { ...found.tap, bridge: '', vlan: -1 });
        }
        await st.writeBridges();
      }),
    vmTaps(ns) {
      const out = new Map<string, TapInfo[]>();
      for (const [vm, taps] of st.vmTaps(ns)) out.set(vm, taps.map(tapInfo));
      return out;
    },
    tap(name) {
      const r = recordOf(name);
      return r ? tapInfo(r) : undefined;
    },

    // ── qos ──
    async setQos(name, q) {
      const tap = recordOf(name);
      if (!tap) throw new UnknownTapError(name);
      let next: QosSpec = q;
      if (q.kind === 'netem' && tap.qos?.kind === 'netem') next = { ...tap.qos, ...q };
      if (tap.qos && tap.qos.kind !== q.kind) {
        log.warn(
          `qos on ${tap.name}: ${q.kind === 'rate' ? 'rate' : 'loss/delay'} replaces ${formatQos(tap.qos)}`,
        );
      }
      await st.withSwitch(async (sw) => {
        try {
          await sw.setQos(tap.name, next);
          tap.qos = next;
        } catch (err) {
          await sw.clearQos(tap.name).catch(() => undefined);
          delete tap.qos;
          throw err;
        }
      });
    },
    async clearQos(name) {
      const tap = recordOf(name);
      if (!tap?.qos) return;
      await st.withSwitch(async (sw) => {
        await sw.clearQos(tap.name);
        delete tap.qos;
      });
    },
    tapQos(name) {
      const q = st.findTap(name)?.tap.qos;
      return q ? formatQos(q) : undefined;
    },

    // ── lifecycle ──
    bandwidth: () => meter.rate(),
    async deleteNamespace(ns) {
      await net.clearNamespaceTaps(ns);
      st.vlans.deleteNamespace(ns);
      await st.writeVlans();
    },
    async clearAll() {
      await destroyAll();
      st.vlans.clearAll();
      await st.writeVlans();
    },
    restoreVlans: () => restoreVlans(st),
    recover: (vmTaps) => recoverNet(st, vmTaps),
    async close() {
      if (closed) return;
      closed = true;
      meter.stop();
      try {
        await destroyAll();
        await st.removeFiles();
      } finally {
        await provider.close();
      }
    },
    [Symbol.asyncDispose]: () => net.close(),
  };
  return net;
}
