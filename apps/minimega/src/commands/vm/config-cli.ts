// `vm config [field] [value]`, `clear vm config [field]`, `vm config
// save/restore/clone` (vm-qemu.md §1).
import type { Command } from '@mm/cli-grammar';
import {
  CONFIG_FIELDS,
  type ConfigField,
  cloneVmConfig,
  dumpVmConfig,
  type FieldContext,
  goList,
  type NetConfig,
  parseNetspec,
  printNetspec,
  printOverrides,
  probeNicDrivers,
  type VmConfig,
  validateCpu,
  validateMachine,
} from '@mm/qemu';
import type { Daemon } from '../../context.js';
import { namespaceVms, resolveNs } from './state.js';

/** How a NIC's VLAN prints in `vm config net` (the alias word). */
export function aliasWord(d: Daemon, ns: string, n: NetConfig): string {
  if (n.vlan < 0) return n.alias;
  const net = d.services.networking as
    | (typeof d.services.networking & { printAlias?: (ns: string, v: number) => string })
    | undefined;
  return net?.printAlias?.(ns, n.vlan) ?? net?.printVlan(ns, n.vlan) ?? String(n.vlan);
}

/** Resolves a netspec VLAN word to a number in namespace `ns`. */
export function resolveVlan(d: Daemon, ns: string, word: string): number {
  const net = d.services.networking;
  if (net) return net.resolveVlan(ns, word);
  if (!/^\d+$/.test(word)) throw new Error(`VLAN alias \`${word}\` needs the networking module`);
  const v = Number(word);
  if (v >= 4096) throw new Error('invalid VLAN (0 <= vlan < 4096)');
  return v;
}

/** Parses netspecs for namespace `ns`; on any error the config's list is emptied. */
export async function setNetworks(
  d: Daemon,
  ns: string,
  c: VmConfig,
  specs: string[],
): Promise<void> {
  let drivers: string[] = [];
  try {
    drivers = await probeNicDrivers(c.qemu, c.machine);
  } catch (err) {
    d.log.warn(`unable to probe NIC drivers: ${(err as Error).message}`);
  }
  try {
    c.networks = specs.map((s) => {
      try {
        const n = parseNetspec(s, { drivers });
        n.vlan = resolveVlan(d, ns, n.alias);
        return n;
      } catch (err) {
        // with several specs, say which one was wrong (minimega does not)
        const e = err as Error & { code?: string };
        throw Object.assign(new Error(`${e.message}: \`${s}\``, { cause: e }), { code: e.code });
      }
    });
  } catch (err) {
    c.networks = [];
    throw err;
  }
}

function fieldContext(d: Daemon): FieldContext {
  return {
    filesDir: d.flags.filepath,
    validateCpu: (c, cpu) => validateCpu(c.qemu, c.machine, cpu),
    validateMachine: (c, m) => validateMachine(c.qemu, m),
  };
}

function patternsFor(f: ConfigField): string[] {
  const names = [f.name, ...f.aliases.filter((a) => !f.name.startsWith(a))];
  switch (f.name) {
    case 'networks':
      return names.map((n) => `vm config ${n} [netspec]...`);
    case 'disks':
      return names.map((n) => `vm config ${n} [diskspec]...`);
    case 'tags':
      return names.flatMap((n) => [`vm config ${n}`, `vm config ${n} <key> [value]`]);
    case 'volume':
      return ['vm config volume', 'vm config volume <key> [value]'];
    case 'qemu-override':
      return ['vm config qemu-override', 'vm config qemu-override <match> <replacement>'];
  }
  if (f.kind === 'bool') return names.map((n) => `vm config ${n} [true,false]`);
  if (f.kind === 'list') return names.map((n) => `vm config ${n} [value]...`);
  return names.map((n) => `vm config ${n} [value]`);
}

/** The words a field command was given (none = print). */
function fieldArgs(f: ConfigField, cmd: Command): string[] | undefined {
  if (f.kind === 'bool') {
    if (cmd.boolArgs.true) return ['true'];
    if (cmd.boolArgs.false) return ['false'];
    return undefined;
  }
  switch (f.name) {
    case 'networks':
      return cmd.listArgs.netspec;
    case 'disks':
      return cmd.listArgs.diskspec;
    case 'tags':
      if (cmd.stringArgs.key === undefined) return undefined;
      return cmd.stringArgs.value === undefined
        ? [cmd.stringArgs.key]
        : [cmd.stringArgs.key, cmd.stringArgs.value];
    case 'volume':
      if (cmd.stringArgs.key === undefined) return undefined;
      return cmd.stringArgs.value === undefined
        ? [cmd.stringArgs.key]
        : [cmd.stringArgs.key, cmd.stringArgs.value];
    case 'qemu-override':
      return cmd.stringArgs.match === undefined
        ? undefined
        : [cmd.stringArgs.match, cmd.stringArgs.replacement ?? ''];
  }
  if (f.kind === 'list') return cmd.listArgs.value;
  return cmd.stringArgs.value === undefined ? undefined : [cmd.stringArgs.value];
}

export function registerConfig(d: Daemon): void {
  const ctx = fieldContext(d);

  d.cli.register({
    helpShort: 'display all VM configurations',
    helpLong: 'Display the current VM configuration: base, KVM, container and Android fields.',
    patterns: ['vm config'],
    async call(cmd, out) {
      const ns = await resolveNs(d, cmd.namespace);
      const c = ns.vmConfigs.current;
      out.respond({ response: dumpVmConfig(c, (n) => printNetspec(n, aliasWord(d, ns.name, n))) });
    },
  });

  for (const f of CONFIG_FIELDS) {
    d.cli.register({
      helpShort: `configures ${f.name}`,
      helpLong: `Print (no value) or set the ${f.name} field of the VM configuration. Reset it with
"clear vm config ${f.name}".`,
      patterns: patternsFor(f),
      async call(cmd, out) {
        const ns = await resolveNs(d, cmd.namespace);
        const c = ns.vmConfigs.current;
        const args = fieldArgs(f, cmd);
        if (
          args === undefined ||
          (f.kind === 'list' && args.length === 0) ||
          (f.kind === 'special' && args.length === 0)
        ) {
          if (f.name === 'networks') {
            out.respond({
              response: goList(c.networks.map((n) => printNetspec(n, aliasWord(d, ns.name, n)))),
            });
          } else if (f.name === 'qemu-override') {
            out.respond({ response: printOverrides(c) });
          } else {
            out.respond({ response: f.print(c) });
          }
          return;
        }
        if (f.name === 'schedule' && args[0] !== undefined) {
          // checked at config time (scheduler.md §1.1); the stored value stays as typed
          if (c.colocate !== '')
            throw new Error('cannot specify schedule and colocate in the same config');
          const h = args[0] === 'localhost' ? d.hostname : args[0];
          if (!ns.hosts.has(h)) throw new Error(`host is not in namespace: ${args[0]}`);
        }
        if (f.name === 'colocate' && args[0] !== undefined && c.schedule !== '') {
          throw new Error('cannot specify colocate and schedule in the same config');
        }
        if (f.name === 'networks') {
          await setNetworks(d, ns.name, c, args);
        } else if ((f.name === 'tags' || f.name === 'volume') && args.length === 1) {
          // `vm config tags K` looks up the empty key in minimega: prints nothing
          out.respond({ response: '' });
        } else {
          await f.set(c, args, ctx);
        }
        out.respond({});
      },
    });
  }

  d.cli.register({
    helpShort: 'reset VM configuration',
    helpLong: 'Reset the whole VM configuration, or one field, to its default.',
    patterns: [
      'clear vm config',
      ...CONFIG_FIELDS.flatMap((f) =>
        f.name === 'tags'
          ? ['clear vm config tags [key]']
          : [
              `clear vm config ${f.name}`,
              ...f.aliases.filter((a) => !f.name.startsWith(a)).map((a) => `clear vm config ${a}`),
            ],
      ),
    ],
    async call(cmd, out) {
      const ns = await resolveNs(d, cmd.namespace);
      const configs = ns.vmConfigs;
      const word = cmd.words[3];
      if (word === undefined) {
        configs.reset();
      } else {
        const f =
          CONFIG_FIELDS.find((x) => x.name === word || x.aliases.includes(word)) ??
          CONFIG_FIELDS.find((x) => x.name.startsWith(word));
        if (
          f?.name === 'tags' &&
          cmd.stringArgs.key !== undefined &&
          cmd.stringArgs.key !== 'all'
        ) {
          delete configs.current.tags[cmd.stringArgs.key];
        } else f?.clear(configs.current);
      }
      out.respond({});
    },
  });

  d.cli.register({
    helpShort: 'save, restore or clone a VM configuration',
    helpLong: `vm config save NAME stores the current configuration; vm config restore lists
saved names or restores one; vm config clone VM copies a launched VM's configuration.`,
    patterns: ['vm config save <name>', 'vm config restore [name]', 'vm config clone <vm>'],
    async call(cmd, out) {
      const ns = await resolveNs(d, cmd.namespace);
      const configs = ns.vmConfigs;
      const verb = cmd.words[2];
      if (verb === 'save') {
        configs.save(cmd.stringArgs.name!);
      } else if (verb === 'restore') {
        const name = cmd.stringArgs.name;
        if (name === undefined) {
          const names = configs.savedNames();
          if (names.length === 0) throw new Error('no vm configs saved');
          out.respond({ response: names.join('\n') });
          return;
        }
        configs.restore(name);
      } else {
        const target = cmd.stringArgs.vm!;
        const found = (await namespaceVms(d, ns))
          .filter((v) => v.name === target || String(v.id) === target)
          .pop();
        if (!found) throw new Error(`vm not found: ${target}`);
        const c = cloneVmConfig(found.config);
        c.uuid = '';
        for (const disk of c.disks) disk.snapshotPath = '';
        delete c.tags.error;
        configs.replace(c);
        await setNetworks(
          d,
          ns.name,
          configs.current,
          found.config.networks.map((n) => n.raw),
        );
      }
      out.respond({});
    },
  });
}
