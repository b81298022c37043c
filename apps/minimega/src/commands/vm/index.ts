// The VM command module: vm config, launch, lifecycle, info, tags, QMP
// extras. VMs live in the local VmHost (@mm/qemu); the namespace's hosts are
// reached through the cluster (@mm/namespace); commands parse, call, render.
import { access } from 'node:fs/promises';
import { relative } from 'node:path';
import type { Batch } from '@mm/cli-grammar';
import {
  createLauncher,
  createRemoteVmHost,
  createVmCluster,
  type Launcher,
  type NamespaceInfo,
  type Planner,
  type QueuedEntry,
  schedulerPlanner,
} from '@mm/namespace';
import {
  createLocalVmHost,
  createQemuDriver,
  type LocalVmHost,
  type NicAttacher,
  type VmDriver,
} from '@mm/qemu';
import type { CommandModule, Daemon } from '../../context.js';
import { limitsOf } from '../../daemon/limits.js';
import { checkLaunchFile, checkServed } from '../../daemon/served-files.js';
import { registerConfig } from './config-cli.js';
import { registerLaunch } from './launch.js';
import { registerLifecycle } from './lifecycle-cli.js';
import { registerMisc } from './misc-cli.js';
import { registerNet } from './net-cli.js';
import { registerSave } from './save-cli.js';
import { namespaceVms, row } from './state.js';
import { registerTop } from './top-cli.js';

export interface VmModuleOptions {
  /** the kvm driver (default: real QEMU with -accel); tests pass createFakeDriver() */
  driver?: (d: Daemon) => VmDriver;
  /** the planner (default: @mm/scheduler's least-loaded-first) */
  planner?: Planner;
}

/** Launches rendered as rows (one per host that launched). */
export interface AppLauncher {
  readonly core: Launcher;
  launch(ns: NamespaceInfo, entry: QueuedEntry, opts?: { signal?: AbortSignal }): Promise<Batch>;
  schedule(ns: NamespaceInfo, opts?: { signal?: AbortSignal }): Promise<Batch>;
}

export interface VmModuleContext {
  d: Daemon;
  host: LocalVmHost;
  launcher: AppLauncher;
}

function meshTimeoutMs(d: Daemon): number {
  return (d.services.mesh?.timeoutSeconds ?? 0) * 1000;
}

/** The networking module's taps, looked up when used (it may register after this module). */
function lazyNics(d: Daemon): NicAttacher {
  const net = () => {
    const n = d.services.networking;
    if (!n) throw new Error('the networking module is not running');
    return n;
  };
  return {
    createTap: (o) => net().createTap(o),
    deleteTap: (o) => net().deleteTap(o),
    connectTap: async (o) => {
      const n = net();
      if (!n.connectTap) throw new Error('the networking module cannot move taps');
      await n.connectTap(o);
    },
    disconnectTap: async (o) => {
      const n = net();
      if (!n.disconnectTap) throw new Error('the networking module cannot detach taps');
      await n.disconnectTap(o);
    },
    attachVeth: async (o) => {
      const n = net();
      if (!n.attachVeth) throw new Error('the networking module cannot attach veths');
      return n.attachVeth(o);
    },
    tapQos: (tap) => d.services.networking?.tapQos?.(tap),
  };
}

export function createVmModule(opts: VmModuleOptions = {}): CommandModule {
  return (d) => {
    const driver =
      opts.driver?.(d) ??
      createQemuDriver({ accel: d.flags.accel ?? 'auto', log: (msg) => d.log.info(msg) });
    // capacity (-max-vms, -max-mem-commit): checked by the host and reported
    // in its load, so a namespace's planner refuses a launch before any host starts
    const limits = limitsOf(d.flags);
    const host = createLocalVmHost({
      hostname: d.hostname,
      vmlimit: limits.maxVms,
      memOvercommit: limits.memOvercommit,
      // the rule `read` follows (served-files.ts), on the host whose QEMU opens the file
      checkFile: (path, use) =>
        use === 'disk'
          ? checkLaunchFile(path, d.flags)
          : checkServed(path, use === 'cdrom' ? 'read' : 'hotplug', d.flags),
      drivers: { kvm: driver },
      nics: lazyNics(d),
      baseDir: d.flags.base,
      filesDir: d.flags.filepath,
      fetch: async (path, o) => {
        const files = d.services.files;
        if (!files) return;
        const rel = relative(d.flags.filepath, path);
        if (rel.startsWith('..')) return;
        const present = await access(path).then(
          () => true,
          () => false,
        );
        if (!present) await files.get(rel, o.signal ? { signal: o.signal } : {});
      },
      log: (level, msg) => d.log[level](msg),
    });
    const cluster = createVmCluster({
      hostname: d.hostname,
      local: host,
      // other hosts over the mesh (looked up per call: meshage starts after this module);
      // `mesh timeout` bounds every call, else the proxy's own deadlines apply
      remote: (name) =>
        createRemoteVmHost({
          mesh: () => d.services.mesh?.node,
          host: name,
          timeoutMs: () => meshTimeoutMs(d),
        }),
    });
    const core = createLauncher({
      cluster,
      planner: opts.planner ?? schedulerPlanner(),
      log: (level, msg) => d.log[level](msg),
    });
    const rows = (r: Awaited<ReturnType<Launcher['schedule']>>): Batch =>
      r.map((x) => row(x.host, { error: x.error }));
    const launcher: AppLauncher = {
      core,
      async launch(ns, entry, o = {}) {
        return rows(await core.launch(ns, entry, await namespaceVms(d, ns), o));
      },
      async schedule(ns, o = {}) {
        return rows(await core.schedule(ns, o));
      },
    };
    const m: VmModuleContext = { d, host, launcher };
    d.services.vmHost = host;
    d.services.cluster = cluster;
    d.services.launcher = core;
    registerConfig(d);
    registerLaunch(m);
    registerLifecycle(m);
    registerMisc(m);
    registerNet(m);
    registerSave(m);
    registerTop(m);

    d.services.vmStats = () => {
      const l = host.load();
      return {
        vms: l.vms,
        ...(l.vmlimit ? { vmlimit: l.vmlimit } : {}),
        cpucommit: l.cpucommit,
        memcommit: l.memcommit,
        netcommit: l.netcommit,
      };
    };

    d.namespaces.onDelete(async (ns) => host.destroyNamespace(ns.name));
    d.onClearAll('vm', async () => {
      for (const n of d.namespaces.names()) {
        await host.destroyNamespace(n);
        d.namespaces.get(n)?.vmConfigs.clear();
      }
    });
    // like minimega's teardown: kill every VM, then flush them (taps, instance dirs)
    d.onShutdown('vm', () => host.close());
  };
}

export const vmModule: CommandModule = createVmModule();
