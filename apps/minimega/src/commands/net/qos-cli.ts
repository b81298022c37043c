// `qos add` and `clear qos` (ovs-net.md §4): tc qdiscs on VM taps (egress =
// traffic into the VM). VMs are found through the taps the VM module created
// (`createTap` carries the VM name; NIC index = creation order per VM).
import { splitList } from '@mm/cli-grammar';
import type { HostNetwork, QosSpec, TapInfo } from '@mm/ovs';
import type { Daemon } from '../../context.js';
import { commandNamespace } from './vlans-cli.js';
import { VmNotFoundError, vmTargetAcrossHosts } from './vm-target.js';

/** Go time.ParseDuration's syntax (the value is handed to tc as written). */
const GO_DURATION = /^[+-]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$/;
const UINT = /^\d+$/;

export function parseDelay(v: string): string {
  let d = v;
  if (!GO_DURATION.test(d) && d !== '0') {
    d = `${v}ms`;
    if (!GO_DURATION.test(d)) throw new Error(`invalid duration: \`${v}\``);
  }
  if (d.startsWith('-') && !/^-0+(\.0*)?[a-zµ]+$/.test(d))
    throw new Error('delay cannot be negative');
  return d;
}

export function parseLoss(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n >= 100)
    throw new Error(`invalid loss: \`${v}\``);
  return n;
}

function targets(
  net: HostNetwork,
  ns: string,
  target: string,
): { wild: boolean; vms: [string, TapInfo[]][] } {
  const names = splitList(target);
  const byVm = net.vmTaps(ns);
  if (names.includes('all')) return { wild: true, vms: [...byVm] };
  const vms: [string, TapInfo[]][] = [];
  for (const n of names) {
    const taps = byVm.get(n);
    if (!taps) throw new VmNotFoundError(n);
    vms.push([n, taps]);
  }
  return { wild: false, vms };
}

export function registerQos(d: Daemon, net: HostNetwork): void {
  d.cli.register({
    helpShort: 'add qos constraints to VM interfaces',
    helpLong: `Add quality-of-service constraints on the traffic into a VM's interface: packet loss (a
percentage), delay (a duration such as 100ms), or a rate limit (with a unit). Rate and loss/delay
exclude each other; loss and delay combine. Loss and delay need the kernel's netem qdisc; rate uses
tbf. Remove them with "clear qos".`,
    patterns: [
      'qos <add,> <vm target> <interface> <loss,> <percent>',
      'qos <add,> <vm target> <interface> <delay,> <duration>',
      'qos <add,> <vm target> <interface> <rate,> <bw> <kbit,mbit,gbit>',
    ],
    async call(cmd, out, env) {
      const ns = commandNamespace(d, cmd);
      const a = cmd.stringArgs;
      const b = cmd.boolArgs;
      const iface = a.interface ?? '';
      if (iface === 'all') throw new Error('wildcard qos not implemented');
      if (!UINT.test(iface)) throw new Error(`invalid tap index ${iface}`);
      let q: QosSpec;
      if (b.loss) q = { kind: 'netem', loss: parseLoss(a.percent ?? '') };
      else if (b.delay) q = { kind: 'netem', delay: parseDelay(a.duration ?? '') };
      else {
        if (!UINT.test(a.bw ?? '') || Number(a.bw) === 0)
          throw new Error(`invalid rate: \`${a.bw}\``);
        q = { kind: 'rate', rate: Number(a.bw), unit: b.kbit ? 'kbit' : b.gbit ? 'gbit' : 'mbit' };
      }
      // the VMs' taps are on the hosts that run them
      await vmTargetAcrossHosts(d, cmd, out, env, async () => {
        const t = targets(net, ns, a.vm ?? '');
        const errors: string[] = [];
        for (const [, taps] of t.vms) {
          const tap = taps[Number(iface)];
          if (!tap) {
            errors.push(`invalid tap index specified: ${iface}`);
            continue;
          }
          try {
            await net.setQos(tap.name, q);
          } catch (err) {
            errors.push((err as Error).message);
          }
        }
        if (errors.length > 0) throw new Error(errors.join('\n'));
      });
    },
  });

  d.cli.register({
    helpShort: 'clear qos constraints',
    helpLong:
      'Clear qos constraints on one interface of a VM, or on all of them ("all" or no index).',
    patterns: ['clear qos <vm target> [interface]'],
    async call(cmd, out, env) {
      const ns = commandNamespace(d, cmd);
      const iface = cmd.stringArgs.interface ?? 'all';
      if (iface !== 'all' && !UINT.test(iface)) throw new Error(`invalid tap index ${iface}`);
      await vmTargetAcrossHosts(d, cmd, out, env, async () => {
        const t = targets(net, ns, cmd.stringArgs.vm ?? '');
        for (const [, taps] of t.vms) {
          const chosen = iface === 'all' ? taps : [taps[Number(iface)]];
          for (const tap of chosen) {
            if (!tap) throw new Error(`invalid tap index specified: ${iface}`);
            await net.clearQos(tap.name);
          }
        }
      });
    },
  });
}
