// `bridge` and its subcommands (ovs-net.md §2): local to this node, not
// namespace-aware. Like minimega, naming a bridge creates it when missing.
import type { HostNetwork, TunnelType } from '@mm/ovs';
import type { Daemon } from '../../context.js';

const list = (xs: Iterable<string>) => `[${[...xs].sort().join(' ')}]`;

export function registerBridge(d: Daemon, net: HostNetwork): void {
  d.cli.register({
    helpShort: 'display information and modify virtual bridges',
    helpLong: `Display information about virtual bridges, or change them.

"bridge" lists the bridges minimega manages (creating mega_bridge if missing): whether each existed
before minimega, its active VLANs, trunks, tunnels, bonds and config.

"bridge trunk <bridge> <interface>" adds an interface (e.g. a physical NIC) as a trunk port carrying
every VLAN; "bridge notrunk" removes it. "bridge tunnel <vxlan,gre> <bridge> <remote ip> [key]"
connects the bridge to another host's bridge over a tunnel (the port is named mega_tapN);
"bridge notunnel" removes it. "bridge config <bridge> <key=value>" sets an OVS bridge column, e.g.
rstp_enable=true. "bridge destroy" removes a bridge with its taps, trunks and tunnels.`,
    patterns: [
      'bridge',
      'bridge <config,> <bridge> <config>',
      'bridge <trunk,> <bridge> <interface>',
      'bridge <notrunk,> <bridge> <interface>',
      'bridge <tunnel,> <vxlan,gre> <bridge> <remote ip> [key]',
      'bridge <notunnel,> <bridge> <interface>',
      'bridge <destroy,> <bridge>',
    ],
    async call(cmd, out) {
      const a = cmd.stringArgs;
      const b = cmd.boolArgs;
      const bridge = a.bridge ?? '';
      const iface = a.interface ?? '';
      if (b.trunk) return net.addTrunk(bridge, iface);
      if (b.notrunk) return net.removeTrunk(bridge, iface);
      if (b.tunnel) {
        const type: TunnelType = b.gre ? 'gre' : 'vxlan';
        const name = await net.addTunnel({
          bridge,
          type,
          remoteIp: a.remote ?? '',
          ...(a.key !== undefined ? { key: a.key } : {}),
        });
        out.respond({ response: name });
        return;
      }
      if (b.notunnel) return net.removeTunnel(bridge, iface);
      if (b.config) {
        const kv = a.config ?? '';
        const i = kv.indexOf('=');
        if (i <= 0) throw new Error('expected key=value');
        return net.configureBridge(bridge, kv.slice(0, i), kv.slice(i + 1));
      }
      if (b.destroy) return net.destroyBridge(bridge);
      // listing (creates mega_bridge as a side effect, as minimega does)
      await net.ensureBridge('');
      const ns = d.namespaces.active;
      out.respond({
        header: ['bridge', 'preexisting', 'vlans', 'trunks', 'tunnels', 'bonds', 'config'],
        tabular: net
          .bridges()
          .map((br) => [
            br.name,
            String(br.preexisting),
            list(br.vlans.map((v) => net.printVlan(ns, v))),
            list(br.trunks),
            list(br.tunnels),
            '[]',
            JSON.stringify(br.config),
          ]),
      });
    },
  });
}
