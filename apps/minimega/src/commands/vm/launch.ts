// `vm launch <kvm> <name or count> [config]` (vm-qemu.md §5, §6.1;
// namespace.md §8): the names are expanded and checked here, then the
// namespace queues or places them; each host gives its VMs ids, UUIDs, MACs
// and taps and starts them paused (BUILDING).
import { splitList } from '@mm/cli-grammar';
import { DEFAULT_MAX_QUEUED } from '@mm/namespace';
import type { VmType } from '@mm/qemu';
import type { VmModuleContext } from './index.js';
import { namespaceVms, resolveNs } from './state.js';

/** Expands and checks the names; '' entries are unnamed VMs. */
export function launchNames(
  arg: string,
  existing: Set<string>,
  uuidSet: boolean,
  max = DEFAULT_MAX_QUEUED,
): string[] {
  let names: string[];
  if (/^[+-]?\d+$/.test(arg) && Math.abs(Number(arg)) < 2 ** 31) {
    const n = Number(arg);
    if (n <= 0) throw new Error('invalid number of vms (must be > 0)');
    // refused before a name is made: `vm launch kvm 2000000000` must not allocate them
    if (n > max) throw new Error(`cannot launch ${n} VMs: more than ${max} in one launch`);
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
    if (!/^[a-zA-Z0-9-_.]+$/.test(name)) {
      throw new Error(
        `invalid name; must only include letters, numbers, hyphens and underscores: \`${name}\``,
      );
    }
  }
  return names;
}

export function registerLaunch(m: VmModuleContext): void {
  const { d } = m;
  d.cli.register({
    helpShort: 'launch virtual machines in a paused state',
    helpLong: `Launch virtual machines in a paused state, using the current configuration
(or a saved one). Name them with a range (foo[0-9]) or give a count for
unnamed VMs (vm-N). Start them with "vm start".`,
    patterns: ['vm launch', 'vm launch kvm <name> [config]', 'vm launch container <name> [config]'],
    async call(cmd, out, env) {
      const ns = await resolveNs(d, cmd.namespace);
      const arg = cmd.stringArgs.name;
      const type: VmType = cmd.words[2] === 'container' ? 'container' : 'kvm';
      const signal = env.signal ? { signal: env.signal } : {};
      if (arg === undefined) {
        out.emit(await m.launcher.schedule(ns, signal));
        return;
      }
      const saved = cmd.stringArgs.config;
      const base = saved === undefined ? ns.vmConfigs.current : ns.vmConfigs.saved(saved);
      const existing = new Set((await namespaceVms(d, ns)).map((v) => v.name));
      const names = launchNames(arg, existing, base.uuid !== '');
      for (const n of names) if (n === 'vince') d.log.info('vince is unstoppable');
      out.emit(await m.launcher.launch(ns, { names, type, config: base }, signal));
    },
  });
}
