// An in-process daemon with only the networking module, on a switch of the
// test's choosing, plus a minitest-style transcript of command lines.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  fixedSwitchProvider,
  type HostNetwork,
  type PcapStarter,
  type Switch,
  type SwitchProvider,
} from '@mm/ovs';
import { createNetModule } from '../../src/commands/net/index.js';
import type { CommandModule } from '../../src/context.js';
import { createDaemonCore, type DaemonCore } from '../../src/daemon/core.js';
import { defaultDaemonFlags } from '../../src/daemon/flags.js';
import { createLogger } from '../../src/log/logger.js';
import { coreRunner } from '../core-runner.js';

export interface NetDaemon {
  core: DaemonCore;
  base: string;
  net: HostNetwork;
  /** runs lines, returning minitest's transcript (`## line`, `E: err`, rendered text) */
  transcript(lines: string[]): Promise<string>;
  /** runs one line: rendered output and errors */
  run(line: string): Promise<{ text: string; errors: string[] }>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function netDaemon(
  sw: Switch | ((base: string) => SwitchProvider),
  flags: Record<string, unknown> = {},
  opts: { pcap?: PcapStarter; modules?: CommandModule[] } = {},
): Promise<NetDaemon> {
  const base = await mkdtemp(join(tmpdir(), `mm-net-t${process.pid}-`));
  const provider = typeof sw === 'function' ? sw(base) : fixedSwitchProvider(sw);
  const core = await createDaemonCore({
    flags: defaultDaemonFlags({ base, ...flags }),
    log: createLogger({ level: 'fatal', stderr: false }),
    hostname: 'testhost',
    modules: [
      createNetModule({ provider: () => provider, ...(opts.pcap ? { pcap: opts.pcap } : {}) }),
      ...(opts.modules ?? []),
    ],
  });
  const { run, transcript } = coreRunner(core);
  return {
    core,
    base,
    net: core.services.networking as HostNetwork,
    run,
    transcript,
    async [Symbol.asyncDispose]() {
      await core.shutdown('test done');
      await rm(base, { recursive: true, force: true });
    },
  };
}

/** `vm info`'s qos column for these taps (NIC order), from the network's records */
export function qosInfo(net: HostNetwork, taps: string[]): string {
  const parts: string[] = [];
  taps.forEach((t, i) => {
    const q = net.tapQos(t);
    if (q) parts.push(`${i}: ${q}`);
  });
  return `[${parts.join(', ')}]`;
}
