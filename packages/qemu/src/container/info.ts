// The container columns of `vm info` (containers.md §6). KVM VMs show N/A in
// all of them; containers show their config as minimega prints it.
import type { VmConfig } from '../config.js';
import { goList } from '../gostrconv.js';

export const CONTAINER_INFO_COLUMNS = [
  'filesystem',
  'hostname',
  'init',
  'preinit',
  'fifo',
  'volume',
  'console_port',
] as const;

export type ContainerInfoColumn = (typeof CONTAINER_INFO_COLUMNS)[number];

function sortedJson(o: Record<string, string>): string {
  const keys = Object.keys(o).sort();
  return JSON.stringify(Object.fromEntries(keys.map((k) => [k, o[k]])));
}

/** the container columns of one VM's `vm info` row */
export function containerInfoCells(vm: {
  type: string;
  name: string;
  config: Pick<VmConfig, 'filesystem' | 'hostname' | 'init' | 'preinit' | 'volume'>;
  consolePort?: number;
}): Record<ContainerInfoColumn, string> {
  const na = 'N/A';
  if (vm.type !== 'container') {
    return {
      filesystem: na,
      hostname: na,
      init: na,
      preinit: na,
      fifo: na,
      volume: na,
      console_port: na,
    };
  }
  const c = vm.config;
  return {
    filesystem: c.filesystem,
    hostname: c.hostname || vm.name,
    init: goList(c.init),
    preinit: c.preinit,
    // minimega looks the column up under `fifos`: always N/A (sharp edge 14, kept for the tables)
    fifo: na,
    volume: sortedJson(c.volume),
    console_port: String(vm.consolePort ?? 0),
  };
}
