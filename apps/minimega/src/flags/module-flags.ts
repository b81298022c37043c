// Flags owned by command modules (not the core). A module that needs a
// startup flag appends its definition here (plain data: this file is loaded
// by the light client path too) and reads it from `daemon.flags[name]`.
import type { FlagDef } from './registry.js';

export const moduleFlags: FlagDef[] = [
  {
    name: 'ovs-embedded',
    type: 'bool',
    default: false,
    usage: 'run a private Open vSwitch instance under <base> instead of the system one',
    owner: 'net',
  },
];
