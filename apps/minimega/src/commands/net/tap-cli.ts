// Host taps (`tap`, `tap create`, `tap delete`, `tap mirror`, `clear tap`;
// ovs-net.md §3.2): parsed here, done by the host's HostNetwork (@mm/ovs),
// which records each host tap and mirror with its namespace; names are global
// on the host.
import type { HostNetwork, TapInfo } from '@mm/ovs';
import type { Daemon } from '../../context.js';
import { commandNamespace } from './vlans-cli.js';
import { VmNotFoundError, vmTargetAcrossHosts } from './vm-target.js';

export function registerTaps(d: Daemon, net: HostNetwork): void {
  /** The NICs (taps, in order) of every VM of the namespace on this host; VMs without NICs too. */
  const localVmNics = async (ns: string): Promise<Map<string, TapInfo[]>> => {
    const nics = net.vmTaps(ns);
    for (const vm of (await d.services.vmHost?.list({ namespace: ns })) ?? [])
      if (!nics.has(vm.name)) nics.set(vm.name, []);
    return nics;
  };

  d.cli.register({
    helpShort: 'control host taps for communicating between hosts and VMs',
    helpLong: `Control host taps on a given VLAN, for communicating between the host and VMs.

"tap create <vlan>" creates a host tap on the VLAN (an alias or a number) on mega_bridge, or on the
bridge given with "bridge". Give it an IP with "ip", or run DHCP on it with "dhcp". The tap is named
with "name" (or as the last argument), else mega_tapN; its name is the response.

"tap delete <tap name or all>" deletes host taps of the current namespace. "tap mirror" mirrors one
tap (or VM interface) onto another.`,
    patterns: [
      'tap',
      'tap <create,> <vlan>',
      'tap <create,> <vlan> name <tap name>',
      'tap <create,> <vlan> <dhcp,> [tap name]',
      'tap <create,> <vlan> ip <ip> [tap name]',
      'tap <create,> <vlan> bridge <bridge>',
      'tap <create,> <vlan> bridge <bridge> name [tap name]',
      'tap <create,> <vlan> bridge <bridge> <dhcp,> [tap name]',
      'tap <create,> <vlan> bridge <bridge> ip <ip> [tap name]',
      'tap <mirror,> <src name> <dst name> [bridge]',
      'tap <mirror,> <vm name> <interface index> <vm2 name> <interface2 index>',
      'tap <delete,> <tap name or all>',
    ],
    async call(cmd, out, env) {
      const nsName = commandNamespace(d, cmd);
      await d.namespaces.getOrCreate(nsName);
      const a = cmd.stringArgs;

      if (cmd.boolArgs.create) {
        const name = await net.createHostTap({
          namespace: nsName,
          vlan: a.vlan ?? '',
          bridge: a.bridge ?? '',
          name: a.tap ?? '',
          ...(a.ip !== undefined ? { ip: a.ip } : {}),
          ...(cmd.boolArgs.dhcp ? { dhcp: true } : {}),
        });
        out.respond({ response: name });
        return;
      }

      if (cmd.boolArgs.delete) return net.deleteHostTap(nsName, a.tap ?? '');

      if (cmd.boolArgs.mirror) {
        const mirror = (src: string, dst: string, bridge: string) =>
          net.addMirror({ namespace: nsName, src, dst, bridge });
        if (a.interface === undefined) {
          await mirror(a.src ?? '', a.dst ?? '', a.bridge ?? '');
          return;
        }
        // VM form: both NICs on one node and on one bridge; typed here, it
        // runs on every host of the namespace (the VMs' host answers)
        await vmTargetAcrossHosts(d, cmd, out, env, async () => {
          const nics = await localVmNics(nsName);
          const nic = (vm: string, index: string) => {
            const taps = nics.get(vm);
            if (!taps) throw new VmNotFoundError(vm);
            const t = /^\d+$/.test(index) ? taps[Number(index)] : undefined;
            if (!t) throw new Error(`no such interface ${index} for ${vm}`);
            return t;
          };
          const pick = (vm: string, index: string) => {
            try {
              return { nic: nic(vm, index) };
            } catch (err) {
              return { err: err as Error };
            }
          };
          const vm1 = a.vm ?? '';
          const vm2 = a.vm2 ?? '';
          const n1 = pick(vm1, a.interface ?? '');
          const n2 = pick(vm2, a.interface2 ?? '');
          // one VM here and the other not: they are on different hosts
          if (n1.err) {
            if (!n2.err && n1.err instanceof VmNotFoundError)
              throw new Error(`vms are not colocated or invalid vm name: ${vm1}`);
            throw n1.err;
          }
          if (n2.err) {
            if (n2.err instanceof VmNotFoundError)
              throw new Error(`vms are not colocated or invalid vm name: ${vm2}`);
            throw n2.err;
          }
          const s1 = n1.nic!;
          const s2 = n2.nic!;
          if (s1.bridge !== s2.bridge) {
            throw new Error(`interfaces on different bridges: ${s1.bridge} and ${s2.bridge}`);
          }
          await mirror(s1.name, s2.name, s1.bridge);
        });
        return;
      }

      out.respond({
        header: ['bridge', 'tap', 'vlan'],
        tabular: net.hostTaps(nsName).map((t) => [t.bridge, t.name, net.printVlan(nsName, t.vlan)]),
      });
    },
  });

  d.cli.register({
    helpShort: 'reset host taps and mirrors',
    helpLong: `"clear tap" deletes every mirror and host tap of the current namespace on this node.
"clear tap mirror [name]" deletes one mirror (by destination tap) or all of them;
"clear tap mirror <vm> <interface index or all>" deletes the mirrors onto a VM's interfaces.`,
    patterns: [
      'clear tap',
      'clear tap <mirror,> [name]',
      'clear tap <mirror,> <vm name> <interface index or all>',
    ],
    async call(cmd, out, env) {
      const nsName = commandNamespace(d, cmd);
      await d.namespaces.getOrCreate(nsName);
      const vm = cmd.stringArgs.vm;
      if (vm !== undefined) {
        // by VM NIC: the mirrors whose destination is that NIC's tap, on the VM's host
        await vmTargetAcrossHosts(d, cmd, out, env, async () => {
          const taps = (await localVmNics(nsName)).get(vm);
          if (!taps) throw new VmNotFoundError(vm);
          const index = cmd.stringArgs.interface ?? '';
          if (index !== 'all' && !/^\d+$/.test(index))
            throw new Error(`invalid interface number: \`${index}\``);
          const chosen = index === 'all' ? taps : [taps[Number(index)]];
          if (index !== 'all' && chosen[0] === undefined)
            throw new Error(`no such interface ${index} for ${vm}`);
          const dsts = chosen.filter((t) => t !== undefined).map((t) => t.name);
          await net.removeMirrors(nsName, dsts, index !== 'all');
        });
        return;
      }
      const which = cmd.stringArgs.name;
      if (which !== undefined && which !== 'all') return net.removeMirrors(nsName, [which], true);
      if (cmd.boolArgs.mirror) return net.removeMirrors(nsName, 'all', false);
      return net.clearNamespaceTaps(nsName);
    },
  });
}
