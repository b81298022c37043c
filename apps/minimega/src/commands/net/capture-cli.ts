// `capture` and `clear capture` (daemon.md "Capture"): pcap captures of VM
// interfaces, kept per namespace by @mm/ovs's Captures. Bridge captures and
// netflow are refused with a clear error (not built yet).
import { isAbsolute, join } from 'node:path';
import type { Captures, HostNetwork } from '@mm/ovs';
import type { Daemon } from '../../context.js';
import { commandNamespace } from './vlans-cli.js';
import { VmNotFoundError } from './vm-target.js';

const UINT32 = /^\d+$/;

function notBuilt(what: string): never {
  throw new Error(`${what} is not supported by this minimega yet (pcap captures of VMs are)`);
}

export function registerCapture(d: Daemon, net: HostNetwork, captures: Captures): void {
  d.cli.register({
    helpShort: 'show active captures',
    helpLong: 'List the captures running in the namespace.',
    patterns: ['capture'],
    async call(cmd, out) {
      const rows = captures
        .list(commandNamespace(d, cmd))
        .map((r) => [r.bridge, r.type, `${r.vm}:${r.index}`, '', '', r.path]);
      out.respond({
        header: ['bridge', 'type', 'interface', 'mode', 'compress', 'path'],
        tabular: rows,
      });
    },
  });

  d.cli.register({
    helpShort: 'configure captures',
    helpLong: `Show or set the snapshot length (bytes kept per packet) or the BPF filter of new
pcap captures in the namespace.`,
    patterns: [
      'capture <pcap,> <snaplen,> [size]',
      'capture <pcap,> <filter,> [bpf]',
      'capture <netflow,> <mode,> [raw,ascii]',
      'capture <netflow,> <gzip,> [true,false]',
    ],
    async call(cmd, out) {
      if (cmd.boolArgs.netflow) notBuilt('netflow capture');
      const s = captures.settings(commandNamespace(d, cmd));
      const a = cmd.stringArgs;
      if (cmd.boolArgs.snaplen) {
        if (a.size === undefined) return out.respond({ response: String(s.snaplen) });
        if (!UINT32.test(a.size) || Number(a.size) > 0xffffffff)
          throw new Error(`invalid snaplen: \`${a.size}\` (a number of bytes)`);
        s.snaplen = Number(a.size);
        return;
      }
      if (a.bpf === undefined) return out.respond({ response: s.filter });
      s.filter = a.bpf;
    },
  });

  d.cli.register({
    helpShort: 'capture experiment data for a VM',
    helpLong: `Capture the traffic of one interface of a VM to a pcap file (relative paths are
under the files directory), or stop the captures of a VM ("all" for every VM).`,
    patterns: [
      'capture <pcap,> vm <vm name> <interface index> <filename>',
      'capture <pcap,> <delete,> vm <vm name>',
    ],
    async call(cmd) {
      const ns = commandNamespace(d, cmd);
      const a = cmd.stringArgs;
      const name = a.vm ?? '';
      const byVm = net.vmTaps(ns);
      if (cmd.boolArgs.delete) {
        if (name !== 'all' && !byVm.has(name)) throw new VmNotFoundError(name);
        await captures.stopVm(ns, name);
        return;
      }
      const iface = a.interface ?? '';
      if (!/^[+-]?\d+$/.test(iface)) throw new Error(`invalid interface: \`${iface}\``);
      const taps = byVm.get(name);
      if (!taps) throw new VmNotFoundError(name);
      const tap = taps[Number(iface)];
      if (!tap) throw new Error(`no such interface ${iface} for ${name}`);
      const file = a.filename ?? '';
      const path = isAbsolute(file) ? file : join(d.flags.filepath, file);
      await captures.captureVm(
        ns,
        { name, index: Number(iface), tap: tap.name, bridge: tap.bridge },
        path,
      );
    },
  });

  d.cli.register({
    helpShort: 'capture experiment data',
    helpLong: 'Bridge captures (pcap or netflow) are not supported yet.',
    patterns: [
      'capture <netflow,> <bridge,> <bridge> <filename>',
      'capture <netflow,> <bridge,> <bridge> <tcp,udp> <hostname:port>',
      'capture <netflow,> <delete,> bridge <bridge>',
      'capture <netflow,> <timeout,> [timeout in seconds]',
      'capture <pcap,> bridge <bridge> <filename>',
      'capture <pcap,> <delete,> bridge <bridge>',
    ],
    async call(cmd) {
      notBuilt(cmd.boolArgs.netflow ? 'netflow capture' : 'pcap capture of a bridge');
    },
  });

  d.cli.register({
    helpShort: 'reset capture state',
    helpLong: 'Stop every capture of the namespace and reset its capture settings.',
    patterns: ['clear capture [netflow,pcap]'],
    async call(cmd) {
      if (cmd.boolArgs.netflow) return;
      await captures.stopAll(commandNamespace(d, cmd));
    },
  });
}
