// An in-process daemon with the VM and namespace modules on a fake (or real)
// QEMU driver, optionally with networking on a fake switch.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeSwitch, type FakeSwitch, fixedSwitchProvider } from '@mm/ovs';
import { createFakeDriver, type FakeDriver, type VmDriver } from '@mm/qemu';
import { namespaceModule } from '../../src/commands/namespace/index.js';
import { createNetModule } from '../../src/commands/net/index.js';
import { createVmModule } from '../../src/commands/vm/index.js';
import type { CommandModule } from '../../src/context.js';
import { createDaemonCore, type DaemonCore } from '../../src/daemon/core.js';
import { defaultDaemonFlags } from '../../src/daemon/flags.js';
import { createLogger } from '../../src/log/logger.js';
import { coreRunner } from '../core-runner.js';

export interface VmDaemon {
  core: DaemonCore;
  base: string;
  driver: FakeDriver | VmDriver;
  /** the fake switch when `net` is on */
  sw: FakeSwitch | undefined;
  /** runs lines, returning minitest's transcript (`## line`, `E: err`, rendered text) */
  transcript(lines: string[]): Promise<string>;
  /** runs one line: rendered output and errors */
  run(line: string): Promise<{ text: string; errors: string[]; data: unknown[] }>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function vmDaemon(
  opts: {
    driver?: VmDriver;
    net?: boolean;
    flags?: Record<string, unknown>;
    /** modules registered before the VM module */
    before?: CommandModule[];
  } = {},
): Promise<VmDaemon> {
  const base = await mkdtemp(join(tmpdir(), `mm-vm-t${process.pid}-`));
  const driver = opts.driver ?? createFakeDriver();
  const modules: CommandModule[] = [...(opts.before ?? [])];
  let sw: FakeSwitch | undefined;
  if (opts.net) {
    sw = createFakeSwitch();
    const fixed = sw;
    modules.push(createNetModule({ provider: () => fixedSwitchProvider(fixed) }));
  }
  modules.push(createVmModule({ driver: () => driver }), namespaceModule);
  const core = await createDaemonCore({
    flags: defaultDaemonFlags({ base, filepath: join(base, 'files'), ...opts.flags }),
    log: createLogger({ level: 'fatal', stderr: false }),
    hostname: 'testhost',
    modules,
  });
  const { run, transcript } = coreRunner(core);
  return {
    core,
    base,
    driver,
    sw,
    run,
    transcript,
    async [Symbol.asyncDispose]() {
      await core.shutdown('test done');
      await rm(base, { recursive: true, force: true });
    },
  };
}
