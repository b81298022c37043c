// `vlans`, `vlans range`, `vlans add`, `vlans blacklist`, `clear vlans`
// (ovs-net.md §5.3): local to this node, scoped by the command's namespace.
import type { Command } from '@mm/cli-grammar';
import type { HostNetwork } from '@mm/ovs';
import type { Daemon } from '../../context.js';

export function commandNamespace(d: Daemon, cmd: Command): string {
  return cmd.namespace || d.namespaces.active;
}

const INT = /^[+-]?\d+$/;

export function registerVlans(d: Daemon, net: HostNetwork): void {
  d.cli.register({
    helpShort: 'display and modify VLAN aliases',
    helpLong: `Display or modify the VLAN aliases of the current namespace. With no arguments, lists the
aliases (namespace prefix removed). "vlans range" shows or sets the range aliases are allocated from
(in the default namespace: the global default range, from -vlanrange). "vlans add" creates an alias
for a VLAN, "vlans blacklist" keeps a VLAN from ever being allocated.

Aliases of another namespace are written <namespace>//<alias>, e.g. "vm config net foo//DMZ".`,
    patterns: [
      'vlans',
      'vlans <range,>',
      'vlans <range,> <min> <max>',
      'vlans <add,> <alias> <vlan>',
      'vlans <blacklist,> [vlan]',
    ],
    async call(cmd, out) {
      const ns = commandNamespace(d, cmd);
      const a = cmd.stringArgs;
      if (cmd.boolArgs.range) {
        if (a.min !== undefined || a.max !== undefined) {
          if (!INT.test(a.min ?? '') || !INT.test(a.max ?? '')) {
            throw new Error('expected integer values for min/max');
          }
          await net.setVlanRange(ns, Number(a.min), Number(a.max));
          return;
        }
        const r = net.vlanRange(ns);
        out.respond({
          header: ['min', 'max', 'next'],
          tabular: r ? [[String(r.min), String(r.max), String(r.next)]] : [],
        });
        return;
      }
      if (cmd.boolArgs.add) {
        if (!INT.test(a.vlan ?? '')) throw new Error('expected integer VLAN');
        await net.addVlanAlias(ns, a.alias!, Number(a.vlan));
        return;
      }
      if (cmd.boolArgs.blacklist) {
        if (a.vlan !== undefined) {
          if (!INT.test(a.vlan)) throw new Error('expected integer VLAN');
          await net.blacklistVlan(Number(a.vlan));
          return;
        }
        out.respond({ header: ['vlan'], tabular: net.blacklistedVlans().map((v) => [String(v)]) });
        return;
      }
      out.respond({
        header: ['alias', 'vlan'],
        tabular: net.vlanAliases(ns).map((x) => [x.alias, String(x.vlan)]),
      });
    },
  });

  d.cli.register({
    helpShort: 'reset VLAN aliases',
    helpLong: `Clears the current namespace's VLAN aliases and range. With a prefix, only aliases starting
with it. "clear vlans all" resets every namespace's aliases, ranges and the blacklist.`,
    patterns: ['clear vlans [prefix]'],
    async call(cmd) {
      const ns = commandNamespace(d, cmd);
      const prefix = cmd.stringArgs.prefix;
      if (prefix === 'all') await net.clearAllVlans();
      else await net.clearVlans(ns, prefix);
    },
  });
}
