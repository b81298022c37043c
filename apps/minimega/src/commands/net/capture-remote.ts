// `capture` and `clear capture` across the namespace's hosts (namespace.md
// §5.2, minimega's wrapBroadcastCLI): each host keeps the captures of the VMs
// it runs, so the listing asks every host of the namespace for its rows (one
// table per host: the host column says whose) and the clear stops them on
// every host. Typed mesh messages, validated at the receiver.
import { defineKind, type Mesh } from '@mm/meshage';
import { wireName as nsName } from '@mm/namespace';
import type { CaptureRecord, Captures } from '@mm/ovs';
import { z } from 'zod';

export const CaptureCall = defineKind('minimega.capture', {
  request: z.discriminatedUnion('op', [
    z.object({ op: z.literal('list'), namespace: nsName }),
    z.object({ op: z.literal('clear'), namespace: nsName }),
  ]),
  response: z.array(z.array(z.string()).length(6)).max(100_000),
});

/** `capture`'s columns */
export const CAPTURE_HEADER = ['bridge', 'type', 'interface', 'mode', 'compress', 'path'];

export function captureRows(recs: CaptureRecord[]): string[][] {
  return recs.map((r) => [r.bridge, r.type, `${r.vm}:${r.index}`, '', '', r.path]);
}

/** Answers other nodes' capture listings and clears from this node's captures. */
export function serveCaptures(mesh: Mesh, captures: Captures): () => void {
  return mesh.handle(CaptureCall, async (req) => {
    if (req.op === 'list') return captureRows(captures.list(req.namespace));
    await captures.stopAll(req.namespace);
    return [];
  });
}
