// Destroying namespaces on other nodes with a typed mesh message
// (namespace.md §3): minimega's `clear namespace NAME|all` (and so `clear
// all`) destroys the namespaces locally and then on every mesh peer, whose
// copies were made by remote calls. The receiver destroys them only on
// itself: it never sends the clear on, so a clear cannot loop.
import { defineKind, type Mesh, type SendOptions, type SendResult } from '@mm/meshage';
import { z } from 'zod';
import { wireName as nsName } from './rpc.js';

/** which namespaces to destroy: every one the node has, or these names */
export type NamespaceClearTarget = 'all' | string[];

export const NamespaceClear = defineKind('minimega.namespace.clear', {
  request: z.object({
    names: z.union([z.literal('all'), z.array(nsName).min(1).max(10_000)]),
  }),
  response: z.null(),
});

/**
 * Serves other nodes' clears: `destroy` tears the namespaces down on this
 * node only. A thrown error goes back to the sender as that host's error.
 * Returns the unregister function.
 */
export function serveNamespaceClear(
  mesh: Mesh,
  destroy: (target: NamespaceClearTarget, ctx: { from: string; signal: AbortSignal }) => unknown,
): () => void {
  return mesh.handle(NamespaceClear, async (req, ctx) => {
    await destroy(req.names, ctx);
    return null;
  });
}

/** Asks `hosts` to destroy `target` on themselves; one result per host. */
export function clearNamespacesOn(
  mesh: Mesh,
  hosts: readonly string[],
  target: NamespaceClearTarget,
  opts?: SendOptions,
): Promise<SendResult<null>[]> {
  return mesh.send(hosts, NamespaceClear, { names: target }, opts);
}
