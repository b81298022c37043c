// `capture` and `clear capture` (daemon.md "Capture"): pcap captures of VM
// interfaces, kept per namespace by @mm/ovs's Captures on the host that runs
// the VM; the listing and the clear cover every host of the namespace
// (capture-remote.ts). Bridge captures and netflow are refused with a clear
// error (not built yet).
import { isAbsolute, join } from 'node:path';
import type { Batch, Command, Response } from '@mm/cli-grammar';
import type { Captures, HostNetwork } from '@mm/ovs';
import type { Daemon } from '../../context.js';
import { meshSendOptions } from '../mesh/service.js';
import { CAPTURE_HEADER, CaptureCall, captureRows } from './capture-remote.js';
import { commandNamespace } from './vlans-cli.js';
import { VmNotFoundError } from './vm-target.js';

const UINT32 = /^\d+$/;

/**
 * Runs `op` on this host and asks the namespace's other hosts to do the same
 * (only when typed here: a mesh-sent command stays local), one response per
 * host, sorted by host; a host that fails or cannot be reached is an error row.
 */
async function acrossHosts(
  d: Daemon,
  cmd: Command,
  op: 'list' | 'clear',
  local: () => Promise<string[][]>,
  signal?: AbortSignal,
): Promise<Batch | undefined> {
  const ns = commandNamespace(d, cmd);
  const node = d.services.mesh?.node;
  const hosts = [...(await d.namespaces.getOrCreate(ns)).hosts];
  const self = (h: string) => h === d.hostname || h === 'localhost';
  const others = hosts.filter((h) => !self(h));
  if (cmd.source !== '' || !node || others.length === 0) return undefined;
  const row = (host: string, tabular: string[][] | null, error = ''): Response => ({
    host,
    response: '',
    header: tabular ? CAPTURE_HEADER : null,
    tabular,
    error,
  });
  const here = hosts.some(self)
    ? local().then(
        (rows) => [row(d.hostname, rows)],
        (err: unknown) => [row(d.hostname, null, err instanceof Error ? err.message : String(err))],
      )
    : Promise.resolve([]);
  const [mine, remote] = await Promise.all([
    here,
    node.send(others, CaptureCall, { op, namespace: ns }, meshSendOptions(d, signal)),
  ]);
  const theirs = remote.map((r) =>
    r.ok ? row(r.host, r.value) : row(r.host, null, r.error.message),
  );
  return [...mine, ...theirs].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
}

function notBuilt(what: string): never {
  throw new Error(`${what} is not supported by this minimega yet (pcap captures of VMs are)`);
}

export function registerCapture(d: Daemon, net: HostNetwork, captures: Captures): void {
  d.cli.register({
    helpShort: 'show active captures',
    helpLong: 'List the captures running in the namespace.',
    patterns: ['capture'],
    async call(cmd, out, env) {
      const local = async () => captureRows(captures.list(commandNamespace(d, cmd)));
      const all = await acrossHosts(d, cmd, 'list', local, env.signal);
      if (all) return out.emit(all);
      out.respond({ header: CAPTURE_HEADER, tabular: await local() });
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
    async call(cmd, out, env) {
      if (cmd.boolArgs.netflow) return;
      const local = async () => {
        await captures.stopAll(commandNamespace(d, cmd));
        return [];
      };
      const all = await acrossHosts(d, cmd, 'clear', local, env.signal);
      if (!all) return void (await local());
      out.emit(
        all.filter((r) => r.error !== '').map((r) => ({ ...r, header: null, tabular: null })),
      );
    },
  });
}
