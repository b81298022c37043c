// The VM command module: vm config, launch, lifecycle, info, tags, QMP
// extras. Per-namespace state lives in namespace slots; QEMU runs through
// @mm/qemu's driver (real QEMU, acceleration per the -accel flag).
import { createQemuDriver, defaultVmConfig, type KvmVm, type VmDriver } from '@mm/qemu';
import type { CommandModule, Daemon } from '../../context.js';
import { registerConfig } from './config-cli.js';
import { registerLaunch } from './launch.js';
import { flushVm, registerLifecycle } from './lifecycle-cli.js';
import { registerMisc } from './misc-cli.js';
import { registerNet } from './net-cli.js';
import { allVms, VM_STATE, type VmModuleContext } from './state.js';

export interface VmModuleOptions {
  /** the driver (default: real QEMU with -accel); tests pass createFakeDriver() */
  driver?: (d: Daemon) => VmDriver;
}

/** Kills and flushes every VM of one namespace. */
export async function destroyNamespaceVms(
  m: VmModuleContext,
  vms: Map<number, KvmVm>,
): Promise<void> {
  await Promise.all([...vms.values()].map((vm) => vm.kill()));
  for (const vm of [...vms.values()]) {
    await flushVm(m, vms, vm).catch((err: unknown) =>
      m.d.log.error(`flush ${vm.name}: ${(err as Error).message}`),
    );
  }
}

export function createVmModule(opts: VmModuleOptions = {}): CommandModule {
  return (d) => {
    let id = 0;
    const driver =
      opts.driver?.(d) ??
      createQemuDriver({ accel: d.flags.accel ?? 'auto', log: (msg) => d.log.info(msg) });
    const m: VmModuleContext = { d, driver, nextId: () => id++ };
    registerConfig(d);
    registerLaunch(m);
    registerLifecycle(m);
    registerMisc(m);
    registerNet(m);

    d.services.vmStats = () => {
      const vms = allVms(d).filter((v) => v.state !== 'QUIT' && v.state !== 'ERROR');
      return {
        vms: allVms(d).length,
        cpucommit: vms.reduce((s, v) => s + v.config.vcpus, 0),
        memcommit: vms.reduce((s, v) => s + v.config.memory, 0),
        netcommit: vms.reduce((s, v) => s + v.config.networks.length, 0),
      };
    };

    d.namespaces.onDelete(async (ns) => destroyNamespaceVms(m, ns.slot(VM_STATE).vms));
    d.onClearAll('vm', async () => {
      for (const n of d.namespaces.names()) {
        const st = d.namespaces.get(n)?.slot(VM_STATE);
        if (!st) continue;
        await destroyNamespaceVms(m, st.vms);
        st.config = defaultVmConfig();
        st.saved.clear();
      }
    });
    d.onShutdown('vm', async () => {
      // like minimega's teardown: kill every VM, then flush them (taps, instance dirs)
      await Promise.all(allVms(d).map((vm) => vm.kill().catch(() => false)));
      for (const n of d.namespaces.names()) {
        const st = d.namespaces.get(n)?.slot(VM_STATE);
        if (st) await destroyNamespaceVms(m, st.vms);
      }
      await driver.close?.();
    });
  };
}

export const vmModule: CommandModule = createVmModule();
