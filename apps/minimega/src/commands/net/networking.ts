// The VM module's view of networking (context.ts VmNetworking): VLAN words,
// printing, and VM taps. Tap creates and deletes that arrive together (a
// `vm launch` of many VMs) are coalesced into one switch batch: one `ip
// -batch` and one `ovs-vsctl` for all of them.
import { formatQos, type TapSpec } from '@mm/ovs';
import { createVeth, deleteVeth } from '@mm/qemu';
import type { VmNetworking } from '../../context.js';
import { coalesce, type Waiter } from './coalesce.js';
import { qosColumn } from './qos-cli.js';
import type { NetState } from './state.js';

interface CreateRequest {
  namespace: string;
  vm: string;
  bridge: string;
  vlan: number;
  mac: string;
}
type PendingCreate = CreateRequest & Waiter<string>;
type PendingDelete = { tap: string } & Waiter<void>;

export interface NetworkingService extends VmNetworking {
  /** the alias word without the number (`A`, `other//A`, or the number) */
  printAlias(ns: string, vlan: number): string;
  /** the VLAN range of a namespace as `MIN-MAX` (namespace listing), '' when none */
  vlanRange(ns: string): string;
  /** `vm info`'s qos column for a VM's taps in NIC order, e.g. `[0: loss 5 delay 100ms]` */
  qosInfo(taps: string[]): string;
}

export function createNetworking(st: NetState): NetworkingService {
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
        bridge: p.bridge === '' ? 'mega_bridge' : p.bridge,
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

  const svc: NetworkingService = {
    resolveVlan(ns, word) {
      return st.lookupVlan(ns, word);
    },
    printVlan(ns, vlan) {
      if (vlan < 0) return 'disconnected';
      return st.vlans.print(ns, vlan);
    },
    printAlias(ns, vlan) {
      if (vlan < 0) return 'disconnected';
      return st.vlans.printAlias(ns, vlan);
    },
    qosInfo(taps) {
      return qosColumn(st, taps);
    },
    tapQos(tap) {
      const q = st.findTap(tap)?.tap.qos;
      return q ? formatQos(q) : undefined;
    },
    vlanRange(ns) {
      const r = st.vlans.range(ns);
      return r ? `${r.min}-${r.max}` : '';
    },
    createTap(o) {
      o.signal?.throwIfAborted();
      return submitCreate(o);
    },
    deleteTap(o) {
      return submitDelete({ tap: o.tap });
    },
    async attachVeth(o) {
      o.signal?.throwIfAborted();
      return st.withSwitch(async (sw) => {
        const br = await st.bridgeLocked(sw, o.bridge);
        const name = st.nextTapName(new Set(await sw.links()));
        // the container end is made inside its netns (eth<i>, its MAC); ours goes on the bridge
        await createVeth({ tap: name, peer: o.peer, mac: o.mac, pid: o.pid }, o.signal);
        try {
          await sw.connectPort(br.name, name, o.vlan);
        } catch (err) {
          await deleteVeth(name);
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
    async connectTap(o) {
      await st.withSwitch(async (sw) => {
        const br = await st.bridgeLocked(sw, o.bridge);
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
      });
    },
    async disconnectTap(o) {
      await st.withSwitch(async (sw) => {
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
      });
    },
  };
  return svc;
}
