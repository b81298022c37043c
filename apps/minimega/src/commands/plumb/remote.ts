// Pipes across the mesh (minimega's miniplumber MESSAGE_FORWARD): a write in
// mode `all` on one node is handed to every other node, where the readers of
// the pipe of that name (if the pipe exists there) get it too. So a pipeline
// on one node can feed a pipeline on another (`plumb foo sed bar` on mm1,
// `plumb bar sed baz` on mm2). Typed mesh message, validated at the receiver.

import type { Plumber } from '@mm/iomeshage';
import { defineKind, type Mesh } from '@mm/meshage';
import { z } from 'zod';

export const PipeForward = defineKind('minimega.pipe.forward', {
  request: z.object({
    /** the full name, `<namespace>//<pipe>` */
    pipe: z.string().min(1).max(4096),
    /** one message (minimega's scanner limit: 1 MiB) */
    value: z.string().max(1 << 20),
  }),
  response: z.null(),
});

/** Serves other nodes' forwarded writes; returns the unregister function. */
export function servePipeForward(mesh: Mesh, plumber: Plumber): () => void {
  return mesh.handle(PipeForward, async (req) => {
    await plumber.deliver(req.pipe, req.value);
    return null;
  });
}
