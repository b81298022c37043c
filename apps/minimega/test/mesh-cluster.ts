// Daemons of the cluster tests that talk over a loopback mesh: the command
// modules they load (fake switch and QEMU, so no root is needed) and one
// command line run to its rows, text and errors.
import { createFakeSwitch, fixedSwitchProvider } from '@mm/ovs';
import { createFakeDriver } from '@mm/qemu';
import { meshModule } from '../src/commands/mesh/index.js';
import { clusterModule } from '../src/commands/namespace/cluster.js';
import { namespaceModule } from '../src/commands/namespace/index.js';
import { createNetModule, type NetModuleOptions } from '../src/commands/net/index.js';
import { createVmModule } from '../src/commands/vm/index.js';
import type { DaemonCore } from '../src/daemon/core.js';

/** net, vm, namespace, mesh and cluster commands on a fake switch and fake QEMU (`net`: more net module options, e.g. a fake pcap) */
export const fakeClusterModules = (net: NetModuleOptions = {}) => [
  createNetModule({ provider: () => fixedSwitchProvider(createFakeSwitch()), ...net }),
  createVmModule({ driver: () => createFakeDriver() }),
  namespaceModule,
  meshModule,
  clusterModule,
];

export interface Ran {
  /** tabular rows, each led by the host that answered */
  rows: string[][];
  /** the responses' text, concatenated */
  text: string;
  /** `host: error` of every response that failed */
  errors: string[];
}

/** runs one command line on `core` (aliases off) and collects every response */
export async function runLine(core: DaemonCore, line: string): Promise<Ran> {
  const rows: string[][] = [];
  const errors: string[] = [];
  let text = '';
  for await (const b of core.execute(line, {}, { aliases: false }))
    for (const r of b) {
      if (r.error) errors.push(`${r.host}: ${r.error}`);
      text += r.response;
      for (const row of r.tabular ?? []) rows.push([r.host, ...row]);
    }
  return { rows, text, errors };
}

/**
 * `a` dials `b` and makes namespace `ns` span both, retrying `ns add-hosts`
 * until `a` has heard of `b` (the mesh learns a new peer's name a moment
 * after the dial answers)
 */
export async function joinNamespace(
  a: { core: DaemonCore },
  b: { core: DaemonCore; port: number },
  ns: string,
): Promise<void> {
  const dial = await runLine(a.core, `mesh dial 127.0.0.1:${b.port}`);
  if (dial.errors.length > 0) throw new Error(`mesh dial: ${dial.errors.join('; ')}`);
  let last: string[] = [];
  for (let i = 0; i < 300; i++) {
    last = (
      await runLine(a.core, `namespace ${ns} ns add-hosts ${a.core.hostname},${b.core.hostname}`)
    ).errors;
    if (last.length === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`ns add-hosts: ${last.join('; ')}`);
}
