// Host taps (`tap`, `tap create`, `tap delete`, `tap mirror`, `clear tap`;
// ovs-net.md §3.2). Each namespace keeps its own set of host taps; names are
// global on the host.
import type { Daemon } from '../../context.js';
import { HOST_TAPS, MIRRORS, type NetState, type TapRecord } from './state.js';
import { commandNamespace } from './vlans-cli.js';
import { VmNotFoundError, vmTargetAcrossHosts } from './vm-target.js';

/**
 * minimega's ``<what> error <err>: `<output>` ``: the exit status, then the
 * command's own words once (the failed command's message already holds them).
 */
function commandError(what: string, err: unknown): Error {
  const e = err as { message?: string; stderr?: string; exitCode?: number };
  if (e.stderr === undefined) return new Error(`${what} error ${e.message ?? String(err)}`);
  const status = e.exitCode === undefined ? 'failed' : `exit status ${e.exitCode}`;
  return new Error(`${what} error ${status}: \`${e.stderr.trim()}\``);
}

export function registerTaps(d: Daemon, st: NetState): void {
  const nsInfo = async (name: string) => d.namespaces.getOrCreate(name);

  /** The NICs (taps, in order) of every VM of the namespace on this host; VMs without NICs too. */
  const localVmNics = async (ns: string): Promise<Map<string, TapRecord[]>> => {
    const nics = st.vmTaps(ns);
    for (const vm of (await d.services.vmHost?.list({ namespace: ns })) ?? [])
      if (!nics.has(vm.name)) nics.set(vm.name, []);
    return nics;
  };

  /** Destroys host taps (and mirrors onto them); call under the lock. */
  const destroyHostTaps = async (names: string[]): Promise<void> => {
    const sw = await st.provider.get();
    const doomed = names
      .map((n) => st.findTap(n))
      .filter((x): x is NonNullable<typeof x> => x !== undefined);
    await sw.deleteTaps(doomed.map((x) => ({ bridge: x.bridge.name, name: x.tap.name })));
    for (const x of doomed) x.bridge.taps.delete(x.tap.name);
    await st.writeTaps();
    await st.writeBridges();
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
      const ns = await nsInfo(nsName);
      const a = cmd.stringArgs;
      const taps = ns.slot(HOST_TAPS);

      if (cmd.boolArgs.create) {
        const bridge = a.bridge ?? '';
        const wanted = a.tap ?? '';
        if (bridge === 'all')
          throw new Error('`all` is a reserved word -- cannot use for bridge name');
        if (wanted === 'all')
          throw new Error('`all` is a reserved word -- cannot use for tap name');
        const vlan = st.lookupVlan(nsName, a.vlan ?? '');
        const name = await st.withSwitch(async (sw) => {
          const br = await st.bridgeLocked(sw, bridge);
          if (wanted !== '' && st.findTap(wanted)) throw new Error('tap already on bridge');
          const tap = wanted !== '' ? wanted : st.nextTapName(new Set(await sw.links()));
          await sw.createHostTap({ bridge: br.name, name: tap, vlan });
          try {
            if (a.ip !== undefined) {
              await sw.addAddress(tap, a.ip).catch((err: unknown) => {
                throw commandError('ip', err);
              });
            } else if (cmd.boolArgs.dhcp) {
              await sw.requestDhcp(tap).catch((err: unknown) => {
                throw commandError('dhcp', err);
              });
            }
          } catch (err) {
            await sw
              .deleteTaps([{ bridge: br.name, name: tap }])
              .catch((e: unknown) => st.warn(`remove tap ${tap}: ${String(e)}`));
            throw err;
          }
          br.taps.set(tap, { name: tap, bridge: br.name, vlan, host: true, namespace: nsName });
          await st.writeTaps();
          await st.writeBridges();
          return tap;
        });
        taps.add(name);
        out.respond({ response: name });
        return;
      }

      if (cmd.boolArgs.delete) {
        const which = a.tap ?? '';
        await st.lock.run(async () => {
          if (which === 'all') {
            const mine = [...taps].filter((t) => st.findTap(t)?.tap.host);
            await destroyHostTaps(mine);
            taps.clear();
            return;
          }
          const found = st.findTap(which);
          if (!found) throw new Error('unknown tap');
          if (!found.tap.host) throw new Error('not a host tap');
          if (!taps.has(which)) throw new Error('not a host tap in active namespace');
          await destroyHostTaps([which]);
          taps.delete(which);
        });
        return;
      }

      if (cmd.boolArgs.mirror) {
        const mirror = async (src: string, dst: string, bridge: string) => {
          if (src === dst) throw new Error('cannot mirror tap to itself');
          await st.withSwitch(async (sw) => {
            const br = await st.bridgeLocked(sw, bridge);
            const ports = new Set((await sw.bridge(br.name))?.ports.map((p) => p.name) ?? []);
            if (!ports.has(src)) throw new Error('source tap is not on bridge');
            if (!ports.has(dst)) throw new Error('destination tap is not on bridge');
            const mirrors = ns.slot(MIRRORS);
            if (mirrors.has(dst)) throw new Error('destination tap is already a mirror');
            await sw.addMirror({ bridge: br.name, dst, src });
            mirrors.set(dst, br.name);
          });
        };
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

      const rows: string[][] = [];
      for (const t of taps) {
        const found = st.findTap(t);
        if (!found) continue;
        rows.push([found.bridge.name, t, st.vlans.print(nsName, found.tap.vlan)]);
      }
      out.respond({ header: ['bridge', 'tap', 'vlan'], tabular: rows });
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
      const ns = await nsInfo(nsName);
      const mirrors = ns.slot(MIRRORS);
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
          await st.lock.run(async () => {
            const sw = await st.provider.get();
            const dsts = chosen
              .filter((t) => t !== undefined && mirrors.has(t.name))
              .map((t) => t!.name);
            if (dsts.length === 0 && index !== 'all') throw new Error('not a valid mirror');
            for (const dst of dsts) {
              await sw
                .removeMirror(mirrors.get(dst)!, dst)
                .catch((e: unknown) => st.warn(`remove mirror: ${String(e)}`));
              mirrors.delete(dst);
            }
          });
        });
        return;
      }
      await st.lock.run(async () => {
        const sw = await st.provider.get();
        let which = cmd.stringArgs.name;
        if (which === 'all') which = undefined;
        if (which !== undefined) {
          const br = mirrors.get(which);
          if (br === undefined) throw new Error('not a valid mirror');
          await sw
            .removeMirror(br, which)
            .catch((e: unknown) => st.warn(`remove mirror: ${String(e)}`));
          mirrors.delete(which);
          return;
        }
        for (const [dst, br] of mirrors)
          await sw
            .removeMirror(br, dst)
            .catch((e: unknown) => st.warn(`remove mirror: ${String(e)}`));
        mirrors.clear();
        if (cmd.boolArgs.mirror) return;
        const taps = ns.slot(HOST_TAPS);
        await destroyHostTaps([...taps]);
        taps.clear();
      });
    },
  });
}

/** Tears down a namespace's host taps and mirrors (clear namespace, clear all). */
export async function clearNamespaceTaps(
  st: NetState,
  taps: Set<string>,
  mirrors: Map<string, string>,
): Promise<void> {
  if (taps.size === 0 && mirrors.size === 0) return;
  await st.withSwitch(async (sw) => {
    for (const [dst, br] of mirrors)
      await sw.removeMirror(br, dst).catch((e: unknown) => st.warn(`remove mirror: ${String(e)}`));
    mirrors.clear();
    const doomed = [...taps]
      .map((n) => st.findTap(n))
      .filter((x): x is NonNullable<typeof x> => x !== undefined);
    await sw.deleteTaps(doomed.map((x) => ({ bridge: x.bridge.name, name: x.tap.name })));
    for (const x of doomed) x.bridge.taps.delete(x.tap.name);
    taps.clear();
    await st.writeTaps();
  });
}
