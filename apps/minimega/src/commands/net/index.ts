// The networking command module: OVS bridges, VM and host taps, VLAN aliases,
// trunks, tunnels, mirrors (ovs-net.md). Sets daemon.services.networking for
// the VM module, and removes everything it created on clear all, namespace
// deletion and shutdown.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseVlanRange } from '@mm/ovs';
import type { CommandModule, Daemon } from '../../context.js';
import { announceAlias } from './announce.js';
import { startBandwidthMeter } from './bandwidth.js';
import { registerBridge } from './bridge-cli.js';
import { createSwitchProvider, flagBool, type SwitchProvider } from './connection.js';
import { createNetworking } from './networking.js';
import { registerQos } from './qos-cli.js';
import { recoverNet } from './recover.js';
import { HOST_TAPS, MIRRORS, NetState } from './state.js';
import { clearNamespaceTaps, registerTaps } from './tap-cli.js';
import { registerVlans } from './vlans-cli.js';

export interface NetModuleOptions {
  /** how to reach OVS (default: OVS_RUNDIR/system OVS, else an embedded one under <base>/ovs) */
  provider?: (d: Daemon) => SwitchProvider;
}

export function createNetModule(opts: NetModuleOptions = {}): CommandModule {
  return async (d) => {
    const provider =
      opts.provider?.(d) ??
      createSwitchProvider({
        base: d.flags.base,
        embedded: flagBool(d.flags['ovs-embedded'], true),
        adopt: d.flags.recover === true,
        datapath: typeof d.flags['ovs-datapath'] === 'string' ? d.flags['ovs-datapath'] : 'auto',
        log: d.log,
      });
    const st = new NetState(provider, d.flags.base, parseVlanRange(d.flags.vlanrange), (m) =>
      d.log.warn(m),
    );
    st.onAliasCreated = (alias, vlan) => announceAlias(d, alias, vlan);

    const forgetHostTaps = (names: string[]) => {
      for (const n of d.namespaces.names()) {
        const taps = d.namespaces.get(n)?.slot(HOST_TAPS);
        for (const t of names) taps?.delete(t);
      }
    };

    if (d.flags.recover) await recoverVlans(d, st);
    registerVlans(d, st);
    registerTaps(d, st);
    registerBridge(d, st, forgetHostTaps);
    registerQos(d, st);
    d.services.networking = createNetworking(st);
    d.services.recoverNetworking = (vmTaps) => recoverNet(st, d, vmTaps);
    const meter = startBandwidthMeter(st);
    d.services.bandwidth = () => meter.rate();

    /** Destroys every managed bridge (pre-existing ones only lose our ports). */
    const destroyAll = async () => {
      if (!provider.connected) return;
      await st.withSwitch(async (sw) => {
        for (const br of [...st.bridges.values()]) {
          forgetHostTaps(await st.destroyBridgeLocked(sw, br));
        }
        if (st.detached.size > 0) {
          await sw.deleteTaps([...st.detached.keys()].map((name) => ({ bridge: '', name })));
          st.detached.clear();
        }
      });
    };

    d.namespaces.onDelete(async (ns) => {
      await clearNamespaceTaps(st, ns.slot(HOST_TAPS), ns.slot(MIRRORS));
      st.vlans.deleteNamespace(ns.name);
      await st.writeVlans();
    });

    d.onClearAll('net', async () => {
      for (const n of d.namespaces.names()) {
        const ns = d.namespaces.get(n);
        if (ns) await clearNamespaceTaps(st, ns.slot(HOST_TAPS), ns.slot(MIRRORS));
      }
      await destroyAll();
      st.vlans.clearAll();
      await st.writeVlans();
    });

    d.onShutdown('net', async () => {
      meter.stop();
      try {
        await destroyAll();
        await st.removeFiles();
      } finally {
        await provider.close();
      }
    });
  };
}

/** `-recover`: re-adds the aliases of `<base>/vlans` (ovs-net.md §5.5). */
async function recoverVlans(d: Daemon, st: NetState): Promise<void> {
  let text = '';
  try {
    text = await readFile(join(d.flags.base, 'vlans'), 'utf8');
  } catch {
    return;
  }
  for (const line of text.split('\n').slice(1)) {
    const [alias, vlan] = line.trim().split(/\s+/);
    if (!alias || !vlan || !/^\d+$/.test(vlan)) continue;
    try {
      st.vlans.addAlias('', alias, Number(vlan));
    } catch (err) {
      d.log.warn(`recover: VLAN alias ${alias} ${vlan}: ${(err as Error).message}`);
    }
  }
}

export const netModule: CommandModule = createNetModule();
