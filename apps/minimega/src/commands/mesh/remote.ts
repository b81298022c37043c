// Running commands that arrive over the mesh (meshage.md §8 "Remote
// execution"), and sending them. The sender ships the parsed words of the
// subcommand (never the requoted original); the receiver compiles them,
// marks every level with source `meshage`, refuses commands that must not
// run over the mesh, and returns every batch it produced.
import { type Batch, type Command, joinWords, type Response, setSource } from '@mm/cli-grammar';
import { defineKind, type Mesh } from '@mm/meshage';
import { z } from 'zod';
import type { Daemon } from '../../context.js';

export const SOURCE_MESHAGE = 'meshage';

const wireResponse = z.object({
  host: z.string(),
  response: z.string(),
  header: z.array(z.string()).nullable(),
  tabular: z.array(z.array(z.string())).nullable(),
  error: z.string(),
  data: z.unknown().optional(),
});

export const MeshCommand = defineKind('minimega.command', {
  request: z.object({
    words: z.array(z.string()).min(1),
    namespace: z.string(),
    record: z.boolean(),
    preprocess: z.boolean(),
  }),
  response: z.array(z.array(wireResponse)),
});
export type MeshCommandRequest = z.infer<NonNullable<typeof MeshCommand.request>>;

/** Commands that never run over the mesh (daemon.md §6). */
const REFUSED = [/^mesh send\b/, /^read\b/, /^ns run\b/, /^vm launch\b/];

function refused(cmd: Command): boolean {
  for (let c: Command | undefined = cmd; c; c = c.subcommand) {
    if (c.handler?.patterns.some((p) => REFUSED.some((r) => r.test(p)))) return true;
  }
  return false;
}

export function cannotRunViaMeshage(original: string): Error {
  return new Error(`cannot run \`${original}\` via meshage`);
}

/** The request for `sub` (a compiled subcommand of `mesh send` or a fan-out). */
export function toRequest(sub: Command): MeshCommandRequest {
  return {
    words: [...sub.words],
    namespace: sub.namespace,
    record: sub.record,
    preprocess: sub.preprocess,
  };
}

function plain(r: Response): Response {
  const out: Response = {
    host: r.host,
    response: r.response,
    header: r.header,
    tabular: r.tabular,
    error: r.error,
  };
  if (r.data !== undefined) out.data = r.data;
  return out;
}

/** Serve MeshCommand requests on this node. */
export function serveRemoteCommands(d: Daemon, mesh: Mesh): void {
  mesh.handle(MeshCommand, async (req, ctx) => {
    if (req.namespace !== '' && !/^[a-zA-Z0-9\-_.]+$/.test(req.namespace)) {
      throw new Error(`invalid namespace ${JSON.stringify(req.namespace)} from ${ctx.from}`);
    }
    const cmd = d.cli.compileWords(req.words);
    setSource(cmd, SOURCE_MESHAGE);
    for (let c: Command | undefined = cmd; c; c = c.subcommand) {
      c.namespace = req.namespace;
      c.record = req.record;
      c.preprocess = req.preprocess;
    }
    if (refused(cmd)) throw cannotRunViaMeshage(joinWords(req.words));
    const batches: Batch[] = [];
    for await (const b of d.cli.process(cmd, { signal: ctx.signal })) batches.push(b.map(plain));
    return batches;
  });
}
