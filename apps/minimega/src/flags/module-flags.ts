// Flags owned by command modules (not the core). A module that needs a
// startup flag appends its definition here (plain data: this file is loaded
// by the light client path too) and reads it from `daemon.flags[name]`.
import type { FlagDef } from './registry.js';

export const moduleFlags: FlagDef[] = [
  {
    name: 'ovs-embedded',
    type: 'bool',
    default: true,
    usage:
      'when no Open vSwitch is reachable (OVS_RUNDIR or the system one), run a private one under <base>/ovs; false: require a running OVS',
    owner: 'net',
  },
  {
    name: 'ovs-datapath',
    type: 'string',
    default: 'auto',
    usage:
      'OVS datapath for new bridges: system (kernel module), netdev (userspace) or auto (system when the openvswitch module is available)',
    owner: 'net',
  },
];
