// `capture` and `clear capture` across the namespace's hosts (namespace.md
// §5.2, minimega's wrapBroadcastCLI): each host keeps the captures of the VMs
// it runs, so the listing asks every host of the namespace for its rows (one
// table per host: the host column says whose) and the clear stops them on
// every host. `capture pcap vm` (minimega's wrapVMTargetCLI) starts or stops
// a VM's capture on whichever host runs it. Typed mesh messages, validated
// at the receiver.
import { isAbsolute, join } from 'node:path';
import { defineKind, type Mesh } from '@mm/meshage';
import { wireName as nsName } from '@mm/namespace';
import type { CaptureRecord, Captures, HostNetwork } from '@mm/ovs';
import { z } from 'zod';

export const CaptureCall = defineKind('minimega.capture', {
  request: z.discriminatedUnion('op', [
    z.object({ op: z.literal('list'), namespace: nsName }),
    z.object({ op: z.literal('clear'), namespace: nsName }),
  ]),
  response: z.array(z.array(z.string()).length(6)).max(100_000),
});

const vmName = z.string().min(1).max(1024);

/** start a capture of one VM interface, or stop a VM's captures ('all': every VM's) */
const captureVmRequest = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('start'),
    namespace: nsName,
    vm: vmName,
    interface: z.number().int(),
    /** as typed: a relative path is under the receiving host's files directory */
    filename: z.string().min(1).max(4096),
  }),
  z.object({ op: z.literal('stop'), namespace: nsName, vm: vmName }),
]);

export type CaptureVmRequest = z.infer<typeof captureVmRequest>;

export const CaptureVmCall = defineKind('minimega.capture.vm', {
  request: captureVmRequest,
  /** whether this host runs the VM (hosts that do not drop out) */
  response: z.object({ found: z.boolean() }),
});

/** show or set the namespace's capture settings (`capture pcap snaplen|filter`); answers the values after */
export const CaptureConfigCall = defineKind('minimega.capture.config', {
  request: z.object({
    namespace: nsName,
    snaplen: z.number().int().min(0).max(0xffffffff).optional(),
    filter: z.string().max(4096).optional(),
  }),
  response: z.object({ snaplen: z.number(), filter: z.string() }),
});

export type CaptureConfigRequest = z.infer<NonNullable<typeof CaptureConfigCall.request>>;

/** Applies what `req` sets to this node's settings of the namespace; the values after. */
export function configureCaptures(
  captures: Captures,
  req: CaptureConfigRequest,
): { snaplen: number; filter: string } {
  const s = captures.settings(req.namespace);
  if (req.snaplen !== undefined) s.snaplen = req.snaplen;
  if (req.filter !== undefined) s.filter = req.filter;
  return { snaplen: s.snaplen, filter: s.filter };
}

/** `capture`'s columns */
export const CAPTURE_HEADER = ['bridge', 'type', 'interface', 'mode', 'compress', 'path'];

export function captureRows(recs: CaptureRecord[]): string[][] {
  return recs.map((r) => [r.bridge, r.type, `${r.vm}:${r.index}`, '', '', r.path]);
}

/**
 * Starts or stops a VM's capture on this host; false when the VM does not run
 * here. `filepath` is this host's files directory (relative file names).
 */
export async function captureVmHere(
  net: HostNetwork,
  captures: Captures,
  filepath: string,
  req: CaptureVmRequest,
): Promise<boolean> {
  const byVm = net.vmTaps(req.namespace);
  if (req.op === 'stop') {
    if (req.vm !== 'all' && !byVm.has(req.vm)) return false;
    await captures.stopVm(req.namespace, req.vm);
    return true;
  }
  const taps = byVm.get(req.vm);
  if (!taps) return false;
  const tap = taps[req.interface];
  if (!tap) throw new Error(`no such interface ${req.interface} for ${req.vm}`);
  const path = isAbsolute(req.filename) ? req.filename : join(filepath, req.filename);
  await captures.captureVm(
    req.namespace,
    { name: req.vm, index: req.interface, tap: tap.name, bridge: tap.bridge },
    path,
  );
  return true;
}

/**
 * Answers other nodes' capture listings, clears and VM captures from this
 * node's captures (`net` and `filepath` for the VM captures). Returns the
 * unregister function.
 */
export function serveCaptures(
  mesh: Mesh,
  captures: Captures,
  net: HostNetwork,
  filepath: string,
): () => void {
  const stopList = mesh.handle(CaptureCall, async (req) => {
    if (req.op === 'list') return captureRows(captures.list(req.namespace));
    await captures.stopAll(req.namespace);
    return [];
  });
  const stopVm = mesh.handle(CaptureVmCall, async (req) => ({
    found: await captureVmHere(net, captures, filepath, req),
  }));
  const stopConfig = mesh.handle(CaptureConfigCall, async (req) =>
    configureCaptures(captures, req),
  );
  return () => {
    stopList();
    stopVm();
    stopConfig();
  };
}
