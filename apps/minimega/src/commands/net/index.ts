// The networking command module: OVS bridges, VM and host taps, VLAN aliases,
// trunks, tunnels, mirrors, qos (ovs-net.md). The state and its operations are
// @mm/ovs's HostNetwork; this module parses commands, calls it and renders,
// sets daemon.services.networking for the VM module, and hooks the network's
// teardown into namespace deletion, clear all and shutdown.
import {
  createCaptures,
  createHostNetwork,
  createSwitchProvider,
  type PcapStarter,
  parseVlanRange,
  type SwitchProvider,
  tcpdumpStarter,
} from '@mm/ovs';
import { createVeth, deleteVeth } from '@mm/qemu';
import type { CommandModule, Daemon } from '../../context.js';
import { announceAlias } from './announce.js';
import { registerBridge } from './bridge-cli.js';
import { registerCapture } from './capture-cli.js';
import { registerQos } from './qos-cli.js';
import { registerTaps } from './tap-cli.js';
import { registerVlans } from './vlans-cli.js';

export interface NetModuleOptions {
  /** how to reach OVS (default: OVS_RUNDIR/system OVS, else an embedded one under <base>/ovs) */
  provider?: (d: Daemon) => SwitchProvider;
  /** how a pcap capture process starts (default: tcpdump) */
  pcap?: PcapStarter;
}

/** a boolean flag given as a word (`-ovs-embedded=false`) */
export function flagBool(v: unknown, dflt: boolean): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return !['false', '0', 'f', 'F', 'FALSE', 'False'].includes(v);
  return dflt;
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
    const net = createHostNetwork({
      switch: provider,
      baseDir: d.flags.base,
      log: d.log,
      vlanRange: parseVlanRange(d.flags.vlanrange),
      onAliasCreated: (alias, vlan) => announceAlias(d, alias, vlan),
      veth: { create: createVeth, remove: (tap) => deleteVeth(tap) },
    });

    if (d.flags.recover) await net.restoreVlans();
    registerVlans(d, net);
    registerTaps(d, net);
    registerBridge(d, net);
    registerQos(d, net);
    const captures = createCaptures({ start: opts.pcap ?? tcpdumpStarter() });
    registerCapture(d, net, captures);
    d.services.captures = captures;
    d.services.networking = net;
    d.services.recoverNetworking = (vmTaps) => net.recover(vmTaps);
    d.services.bandwidth = () => net.bandwidth();

    // captures stop before the namespace's taps go
    d.namespaces.onDelete((ns) => captures.stopAll(ns.name));
    d.namespaces.onDelete((ns) => net.deleteNamespace(ns.name));
    d.onClearAll('net', () => net.clearAll());
    d.onShutdown('net', async () => {
      await captures.close();
      await net.close();
    });
  };
}

export const netModule: CommandModule = createNetModule();
