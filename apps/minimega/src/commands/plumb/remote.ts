// Pipes across the mesh (minimega's miniplumber MESSAGE_FORWARD): a write in
// mode `all` on one node is handed to every other node, where the readers of
// the pipe of that name (if the pipe exists there) get it too. So a pipeline
// on one node can feed a pipeline on another (`plumb foo sed bar` on mm1,
// `plumb bar sed baz` on mm2). The listings and settings of `plumb`/`pipe`
// run on every host of the namespace (PlumbCall). Typed mesh messages,
// validated at the receiver.
import { PIPE_MODES, type Plumber } from '@mm/iomeshage';
import { defineKind, type Mesh } from '@mm/meshage';
import { wireName as nsName } from '@mm/namespace';
import { z } from 'zod';

const pipeName = z.string().min(1).max(4096);

export const PipeForward = defineKind('minimega.pipe.forward', {
  request: z.object({
    /** the full name, `<namespace>//<pipe>` */
    pipe: z.string().min(1).max(4096),
    /** one message (minimega's scanner limit: 1 MiB) */
    value: z.string().max(1 << 20),
  }),
  response: z.null(),
});

/**
 * What `plumb`, `pipe` (listing, mode, log), `clear plumb` and `clear pipe`
 * do on each host of the namespace (minimega's wrapBroadcastCLI). Pipe and
 * stage names arrive qualified (`<namespace>//<pipe>`).
 */
const plumbOp = z.discriminatedUnion('op', [
  z.object({ op: z.literal('pipelines'), namespace: nsName }),
  z.object({ op: z.literal('pipes'), namespace: nsName }),
  z.object({ op: z.literal('mode'), pipe: pipeName, mode: z.enum(PIPE_MODES) }),
  z.object({ op: z.literal('log'), pipe: pipeName, on: z.boolean() }),
  z.object({
    op: z.literal('clear-pipelines'),
    namespace: nsName,
    /** one pipeline's stages; none: every pipeline of the namespace */
    production: z.array(pipeName).min(1).max(1000).optional(),
  }),
  z.object({
    op: z.literal('clear-pipes'),
    namespace: nsName,
    /** one pipe; none: every pipe of the namespace */
    pipe: pipeName.optional(),
    /** reset this setting of `pipe` instead of deleting it */
    reset: z.enum(['mode', 'log', 'via']).optional(),
  }),
]);

export type PlumbOp = z.infer<typeof plumbOp>;

export const PlumbCall = defineKind('minimega.plumb', {
  request: plumbOp,
  response: z.array(z.array(z.string()).max(16)).max(100_000),
});

/** `pipe`'s columns */
export const PIPE_HEADER = ['name', 'mode', 'readers', 'writers', 'count', 'via', 'previous'];

const inNamespace = (ns: string) => (name: string) => name.includes(`${ns}//`);

/** Runs one op on this node's plumber: the rows of a listing, else []. */
export function runPlumbOp(plumber: Plumber, op: PlumbOp): string[][] {
  switch (op.op) {
    case 'pipelines':
      return plumber.pipelines(inNamespace(op.namespace)).map((p) => [p]);
    case 'pipes':
      return plumber
        .pipes(inNamespace(op.namespace))
        .map((p) => [
          p.name,
          p.mode,
          String(p.readers),
          String(p.writers),
          String(p.count),
          p.via,
          p.previous,
        ]);
    case 'mode':
      plumber.setMode(op.pipe, op.mode);
      return [];
    case 'log':
      plumber.setLog(op.pipe, op.on);
      return [];
    case 'clear-pipelines':
      if (op.production) plumber.deletePipeline(op.production);
      else plumber.deleteAllPipelines(inNamespace(op.namespace));
      return [];
    case 'clear-pipes':
      if (op.pipe === undefined) plumber.deleteAllPipes(inNamespace(op.namespace));
      else if (op.reset === 'mode') plumber.setMode(op.pipe, 'all');
      else if (op.reset === 'log') plumber.setLog(op.pipe, false);
      else if (op.reset === 'via') plumber.setVia(op.pipe, []);
      else plumber.deletePipe(op.pipe);
      return [];
  }
}

/** Serves other nodes' forwarded writes and plumb ops; returns the unregister function. */
export function servePlumber(mesh: Mesh, plumber: Plumber): () => void {
  const stopForward = mesh.handle(PipeForward, async (req) => {
    await plumber.deliver(req.pipe, req.value);
    return null;
  });
  const stopOps = mesh.handle(PlumbCall, async (req) => runPlumbOp(plumber, req));
  return () => {
    stopForward();
    stopOps();
  };
}
