// `vm launch <kvm> <name or count> [config]` (vm-qemu.md §5, §6.1;
// namespace.md §8): name checks, then each VM gets an id, UUID, MACs and
// taps, and QEMU is started paused; the VMs wait in BUILDING.
import { access, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { splitList } from '@mm/cli-grammar';
import type { NamespaceInfo } from '@mm/namespace';
import { cloneVmConfig, configFile, generateUuid, KvmVm, randomMac, type VmConfig } from '@mm/qemu';

import { serialLaunch, VM_STATE, type VmModuleContext } from './state.js';
import { createNicTap } from './taps.js';

const NAME_RE = /^[a-zA-Z0-9-_.]+$/;

/** QEMUs started at once by one launch (a launch of thousands must not fork them all together). */
const LAUNCH_PARALLELISM = 64;

/** `fn` over `items` with at most `limit` running at once; results in order. */
async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Expands and checks the names; '' entries are unnamed VMs. */
export function launchNames(arg: string, existing: Set<string>, uuidSet: boolean): string[] {
  let names: string[];
  if (/^[+-]?\d+$/.test(arg) && Math.abs(Number(arg)) < 2 ** 31) {
    const n = Number(arg);
    if (n <= 0) throw new Error('invalid number of vms (must be > 0)');
    names = Array.from({ length: n }, () => '');
  } else {
    // minimega's range grammar has no suffix after `]` (`foo[1-3]bar`)
    if (/\][^,]/.test(arg)) throw new Error('invalid range specification');
    names = splitList(arg);
  }
  if (names.length === 0) throw new Error('no VMs to launch');
  const seen = new Set<string>();
  for (const name of names) {
    if (name === '') continue;
    if (name === 'all') throw new Error('invalid vm name, `all` is a reserved word');
    if (/^[+-]?\d+$/.test(name)) throw new Error(`invalid vm name, \`${name}\` is an integer`);
    if (seen.has(name)) throw new Error(`\`${name}\` is specified twice in VMs to launch`);
    seen.add(name);
  }
  if (names.length > 1 && uuidSet)
    throw new Error('cannot launch multiple VMs with a pre-configured UUID');
  for (const name of names) {
    if (name === '') continue;
    if (existing.has(name)) throw new Error(`vm already exists with name \`${name}\``);
    if (!NAME_RE.test(name)) {
      throw new Error(
        `invalid name; must only include letters, numbers, hyphens and underscores: \`${name}\``,
      );
    }
  }
  return names;
}

/**
 * Step 1 of a launch: files the config names under -filepath that are not
 * here yet are fetched from the mesh (when the iomeshage module runs).
 */
async function fetchFiles(m: VmModuleContext, c: VmConfig, signal?: AbortSignal): Promise<void> {
  const files = m.d.services.files;
  if (!files) return;
  const paths = [c.kernel, c.initrd, c.cdrom, c.state, ...c.disks.map((x) => x.path)];
  for (const p of paths) {
    if (!p) continue;
    const rel = relative(m.d.flags.filepath, p);
    if (rel.startsWith('..')) continue;
    const present = await access(p).then(
      () => true,
      () => false,
    );
    if (!present) await files.get(rel, { signal });
  }
}

export async function launchVms(
  m: VmModuleContext,
  ns: NamespaceInfo,
  names: string[],
  base: VmConfig,
  signal?: AbortSignal,
): Promise<string[]> {
  const { d } = m;
  const st = ns.slot(VM_STATE);
  const existing = [...st.vms.values()];
  if (base.uuid && existing.some((v) => v.config.uuid === base.uuid)) {
    throw new Error(`vm already exists with UUID \`${base.uuid}\``);
  }
  if (base.networks.length > 0 && !d.services.networking) {
    throw new Error('unable to create taps: the networking module is not running');
  }
  await fetchFiles(m, base, signal);
  const vms: KvmVm[] = [];
  for (const name of names) {
    const config = cloneVmConfig(base);
    if (!config.uuid) config.uuid = generateUuid();
    for (const n of config.networks) if (!n.mac) n.mac = randomMac();
    const vm = new KvmVm({
      id: m.nextId(),
      name: name || `vm-${st.unnamed++}`,
      namespace: ns.name,
      host: d.hostname,
      config,
      baseDir: d.flags.base,
      filesDir: d.flags.filepath,
      driver: m.driver,
      log: (level, msg) => d.log[level](msg),
    });
    for (const other of [...existing, ...vms]) {
      for (const disk of config.disks) {
        const clash = other.config.disks.find((x) => x.path === disk.path);
        if (clash && (!config.snapshot || !other.config.snapshot)) {
          throw new Error(`disk conflict with vm ${other.name}: ${disk.path}`);
        }
      }
    }
    vms.push(vm);
  }
  for (const vm of vms) st.vms.set(vm.id, vm);

  const errors = await mapLimit(vms, LAUNCH_PARALLELISM, async (vm) => {
    try {
      const net = d.services.networking;
      for (const nic of vm.config.networks) {
        if (nic.tap || !net) continue;
        await createNicTap(net, ns.name, vm, nic, signal);
      }
    } catch (err) {
      // no tap, no QEMU: the VM shows ERROR with the reason
      vm.state = 'ERROR';
      vm.config.tags.error = `unable to create tap: ${(err as Error).message}`;
      return vm.config.tags.error;
    }
    const err = await vm.launch(signal);
    await writeFile(join(vm.instanceDir, 'config'), configFile(vm.config)).catch(() => {});
    return err;
  });
  return errors.filter((e) => e !== '');
}

export function registerLaunch(m: VmModuleContext): void {
  const { d } = m;
  d.cli.register({
    helpShort: 'launch virtual machines in a paused state',
    helpLong: `Launch virtual machines in a paused state, using the current configuration
(or a saved one). Name them with a range (foo[0-9]) or give a count for
unnamed VMs (vm-N). Start them with "vm start".`,
    patterns: ['vm launch', 'vm launch kvm <name> [config]'],
    async call(cmd, out, env) {
      const ns = await d.namespaces.getOrCreate(cmd.namespace || d.namespaces.active);
      const st = ns.slot(VM_STATE);
      if (cmd.stringArgs.name === undefined) {
        throw new Error('namespace must contain at least one queued VM to launch VMs');
      }
      const errors = await serialLaunch(st, async () => {
        let base = st.config;
        const saved = cmd.stringArgs.config;
        if (saved !== undefined) {
          const c = st.saved.get(saved);
          if (!c) throw new Error(`config ${saved} does not exist`);
          base = c;
        }
        const existing = new Set([...st.vms.values()].map((v) => v.name));
        const names = launchNames(cmd.stringArgs.name!, existing, base.uuid !== '');
        for (const n of names) if (n === 'vince') d.log.info('vince is unstoppable');
        const launched = await launchVms(m, ns, names, base, env.signal);
        return launched;
      });
      out.respond({ error: errors.join('\n') });
    },
  });
}
