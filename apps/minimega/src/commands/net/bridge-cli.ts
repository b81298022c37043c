// `bridge` and its subcommands (ovs-net.md §2): local to this node, not
// namespace-aware. Like minimega, naming a bridge creates it when missing.
import type { TunnelType } from '@mm/ovs';
import type { Daemon } from '../../context.js';
import type { NetState } from './state.js';

const list = (xs: Iterable<string>) => `[${[...xs].sort().join(' ')}]`;

export function registerBridge(
  d: Daemon,
  st: NetState,
  onHostTapsGone: (taps: string[]) => void,
): void {
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
      const iface = a.interface ?? '';
      if (b.trunk) {
        await st.withSwitch(async (sw) => {
          const br = await st.bridgeLocked(sw, a.bridge ?? '');
          if (br.trunks.has(iface)) throw new Error(`bridge already trunking to ${iface}`);
          await sw.addTrunk(br.name, iface);
          br.trunks.add(iface);
        });
        return;
      }
      if (b.notrunk) {
        await st.withSwitch(async (sw) => {
          const br = await st.bridgeLocked(sw, a.bridge ?? '');
          if (!br.trunks.has(iface)) throw new Error(`unknown trunk: ${iface}`);
          await sw.removePort(br.name, iface);
          br.trunks.delete(iface);
        });
        return;
      }
      if (b.tunnel) {
        const type: TunnelType = b.gre ? 'gre' : 'vxlan';
        await st.withSwitch(async (sw) => {
          const br = await st.bridgeLocked(sw, a.bridge ?? '');
          const name = st.nextTapName(new Set(await sw.links()));
          try {
            await sw.addTunnel({
              bridge: br.name,
              name,
              type,
              remoteIp: a.remote ?? '',
              ...(a.key !== undefined ? { key: a.key } : {}),
            });
          } catch (err) {
            throw new Error(`add tunnel failed: ${(err as Error).message}`);
          }
          br.tunnels.add(name);
          out.respond({ response: name });
        });
        return;
      }
      if (b.notunnel) {
        await st.withSwitch(async (sw) => {
          const br = await st.bridgeLocked(sw, a.bridge ?? '');
          if (!br.tunnels.has(iface)) throw new Error(`unknown tunnel: ${iface}`);
          await sw.removePort(br.name, iface);
          br.tunnels.delete(iface);
        });
        return;
      }
      if (b.config) {
        const kv = a.config ?? '';
        const i = kv.indexOf('=');
        if (i <= 0) throw new Error('expected key=value');
        await st.withSwitch(async (sw) => {
          const br = await st.bridgeLocked(sw, a.bridge ?? '');
          await sw.configureBridge(br.name, kv.slice(0, i), kv.slice(i + 1));
          br.config.set(kv.slice(0, i), kv.slice(i + 1));
        });
        return;
      }
      if (b.destroy) {
        const gone = await st.withSwitch(async (sw) => {
          const br = await st.bridgeLocked(sw, a.bridge ?? '');
          return st.destroyBridgeLocked(sw, br);
        });
        onHostTapsGone(gone);
        return;
      }
      // listing (creates mega_bridge as a side effect, as minimega does)
      await st.withSwitch(async (sw) => {
        await st.bridgeLocked(sw, '');
      });
      const ns = d.namespaces.active;
      const rows = [...st.bridges.values()]
        .sort((x, y) => (x.name < y.name ? -1 : 1))
        .map((br) => [
          br.name,
          String(br.preexisting),
          list(st.activeVlans(br).map((v) => st.vlans.print(ns, v))),
          list(br.trunks),
          list(br.tunnels),
          '[]',
          JSON.stringify(Object.fromEntries([...br.config].sort())),
        ]);
      out.respond({
        header: ['bridge', 'preexisting', 'vlans', 'trunks', 'tunnels', 'bonds', 'config'],
        tabular: rows,
      });
    },
  });
}
