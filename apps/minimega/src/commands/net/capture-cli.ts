// `capture` and `clear capture` (daemon.md "Capture"): pcap captures of VM
// interfaces, kept per namespace by @mm/ovs's Captures on the host that runs
// the VM; the listing and the clear cover every host of the namespace, and
// `capture pcap vm` reaches the VM's host (capture-remote.ts). Bridge captures and netflow are refused with a clear
// error (not built yet).
import type { Batch, Command, Output, Response } from '@mm/cli-grammar';
import type { Captures, HostNetwork } from '@mm/ovs';
import type { Daemon } from '../../context.js';
import { meshSendOptions } from '../mesh/service.js';
import {
  CAPTURE_HEADER,
  CaptureCall,
  CaptureConfigCall,
  type CaptureConfigRequest,
  CaptureVmCall,
  type CaptureVmRequest,
  captureRows,
  captureVmHere,
  configureCaptures,
} from './capture-remote.js';
import { byHost, namespaceHosts, onNamespaceHosts, sendOutcomes } from './host-split.js';
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
  const split = await namespaceHosts(d, cmd);
  if (split.others.length === 0) return undefined;
  const outcomes = await onNamespaceHosts(d, split, local, async (node, others) =>
    sendOutcomes(
      await node.send(
        others,
        CaptureCall,
        { op, namespace: split.namespace },
        meshSendOptions(d, signal),
      ),
    ),
  );
  return byHost(
    outcomes.map(
      (o): Response => ({
        host: o.host,
        response: '',
        header: o.ok ? CAPTURE_HEADER : null,
        tabular: o.ok ? o.value : null,
        error: o.ok ? '' : o.error,
      }),
    ),
  );
}

/**
 * Starts or stops a VM's capture on the host that runs it (minimega's
 * wrapVMTargetCLI): here and, typed here, on the namespace's other hosts.
 * Hosts without the VM drop out; a host that fails is an error row; when no
 * host has the VM, "vm not found".
 */
async function captureVmAcrossHosts(
  d: Daemon,
  cmd: Command,
  out: Output,
  here: (req: CaptureVmRequest) => Promise<boolean>,
  req: CaptureVmRequest,
  signal?: AbortSignal,
): Promise<void> {
  const split = await namespaceHosts(d, cmd);
  const outcomes = await onNamespaceHosts(
    d,
    split,
    async () => ({ found: await here(req) }),
    async (node, others) =>
      sendOutcomes(await node.send(others, CaptureVmCall, req, meshSendOptions(d, signal))),
  );
  const failed = outcomes.flatMap((o) => (o.ok ? [] : [o]));
  if (split.others.length === 0 && failed[0]) throw new Error(failed[0].error);
  if (failed.length === 0 && !outcomes.some((o) => o.ok && o.value.found))
    throw new VmNotFoundError(req.vm);
  out.emit(
    byHost(failed).map((o) => ({
      host: o.host,
      response: '',
      header: null,
      tabular: null,
      error: o.error,
    })),
  );
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
pcap captures in the namespace, on every host of the namespace.`,
    patterns: [
      'capture <pcap,> <snaplen,> [size]',
      'capture <pcap,> <filter,> [bpf]',
      'capture <netflow,> <mode,> [raw,ascii]',
      'capture <netflow,> <gzip,> [true,false]',
    ],
    async call(cmd, out, env) {
      if (cmd.boolArgs.netflow) notBuilt('netflow capture');
      const a = cmd.stringArgs;
      const snaplen = cmd.boolArgs.snaplen === true;
      const req: CaptureConfigRequest = { namespace: commandNamespace(d, cmd) };
      if (snaplen && a.size !== undefined) {
        if (!UINT32.test(a.size) || Number(a.size) > 0xffffffff)
          throw new Error(`invalid snaplen: \`${a.size}\` (a number of bytes)`);
        req.snaplen = Number(a.size);
      }
      if (!snaplen && a.bpf !== undefined) req.filter = a.bpf;
      const setting = req.snaplen !== undefined || req.filter !== undefined;
      const shown = (v: { snaplen: number; filter: string }) =>
        snaplen ? String(v.snaplen) : v.filter;
      // minimega broadcasts it: every host of the namespace sets (or shows) its own
      const split = await namespaceHosts(d, cmd);
      const local = async () => configureCaptures(captures, req);
      if (split.others.length === 0) {
        const v = await local();
        if (!setting) out.respond({ response: shown(v) });
        return;
      }
      const outcomes = await onNamespaceHosts(d, split, local, async (node, others) =>
        sendOutcomes(
          await node.send(others, CaptureConfigCall, req, meshSendOptions(d, env.signal)),
        ),
      );
      out.emit(
        byHost(outcomes)
          .filter((o) => !setting || !o.ok)
          .map((o) => ({
            host: o.host,
            response: o.ok ? shown(o.value) : '',
            header: null,
            tabular: null,
            error: o.ok ? '' : o.error,
          })),
      );
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
    async call(cmd, out, env) {
      const namespace = commandNamespace(d, cmd);
      const a = cmd.stringArgs;
      const vm = a.vm ?? '';
      const here = (req: CaptureVmRequest) => captureVmHere(net, captures, d.flags.filepath, req);
      if (cmd.boolArgs.delete) {
        const req: CaptureVmRequest = { op: 'stop', namespace, vm };
        return captureVmAcrossHosts(d, cmd, out, here, req, env.signal);
      }
      const iface = a.interface ?? '';
      if (!/^[+-]?\d+$/.test(iface)) throw new Error(`invalid interface: \`${iface}\``);
      const filename = a.filename ?? '';
      const req: CaptureVmRequest = {
        op: 'start',
        namespace,
        vm,
        interface: Number(iface),
        filename,
      };
      return captureVmAcrossHosts(d, cmd, out, here, req, env.signal);
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
