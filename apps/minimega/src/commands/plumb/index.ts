// `plumb`, `pipe`, `clear plumb` and `clear pipe` (minimega's plumber): the
// pipes and pipelines live in @mm/iomeshage's Plumber; this module names them
// per namespace (`<namespace>//<pipe>`, as minimega does) and renders them.
// Pipes of other namespaces are reached by their full name. Writes in mode
// all reach the pipes of the same name on the other mesh nodes; listings,
// modes, logs and clears cover every host of the namespace (remote.ts), as
// minimega's do. Pipelines and writes stay on the node they are typed on.
import type { Command, Output } from '@mm/cli-grammar';
import { createPlumber, type PipeMode, type Plumber, splitQuoted } from '@mm/iomeshage';
import type { CommandModule, Daemon } from '../../context.js';
import { lookPath } from '../local/lookpath.js';
import { meshPeers, meshSendOptions } from '../mesh/service.js';
import { byHost, namespaceHosts, onNamespaceHosts, sendOutcomes } from '../net/host-split.js';
import { commandNamespace } from '../net/vlans-cli.js';
import {
  PIPE_HEADER,
  PipeForward,
  PlumbCall,
  type PlumbOp,
  runPlumbOp,
  servePlumber,
} from './remote.js';

export { PIPE_HEADER } from './remote.js';

function inPath(word: string): boolean {
  try {
    lookPath(word);
    return true;
  } catch {
    return false;
  }
}

/** `p` in namespace `ns` (`ns//p`) unless it already names its namespace. */
export function qualifiedPipe(ns: string, p: string): string {
  return p.includes('//') ? p : `${ns}//${p}`;
}

/**
 * A pipeline stage as typed: a program when its first word is in $PATH,
 * else a pipe of the namespace (minimega's rule).
 */
export function qualifiedStage(ns: string, stage: string): string {
  if (stage.includes('//')) return stage;
  const first = splitQuoted(stage)[0] ?? '';
  return first !== '' && inPath(first) ? stage : qualifiedPipe(ns, stage);
}

const MODES: readonly PipeMode[] = ['all', 'round-robin', 'random'];

export const plumbModule: CommandModule = (d: Daemon) => {
  const node = d.services.mesh?.node;
  const plumber: Plumber = createPlumber({
    isProgram: inPath,
    log: (level, msg) => d.log[level](msg),
    // every write in mode all also goes to the pipe of that name on the other nodes
    forward: (pipe, value) => {
      const peers = meshPeers(d);
      if (!node || peers.length === 0) return;
      void node.send(peers, PipeForward, { pipe, value }, meshSendOptions(d)).then(
        (rs) => {
          for (const r of rs)
            if (!r.ok) d.log.warn(`pipe ${pipe}: not delivered to ${r.host}: ${r.error.message}`);
        },
        (err: unknown) => d.log.warn(`pipe ${pipe}: not forwarded: ${String(err)}`),
      );
    },
  });
  const unserve = node ? servePlumber(node, plumber) : undefined;
  d.onShutdown('plumber', () => {
    unserve?.();
    return plumber.close();
  });
  d.onClearAll('plumber', () => {
    plumber.deleteAllPipelines();
    plumber.deleteAllPipes();
  });

  const nsOf = (cmd: Command) => commandNamespace(d, cmd);

  /**
   * Runs `op` here and, typed here, on the namespace's other hosts: one
   * table per host (the host column says whose), a failing host an error row.
   * A namespace of this node alone answers as one plain response.
   */
  const across = async (
    cmd: Command,
    out: Output,
    op: PlumbOp,
    header: string[] | null,
    signal?: AbortSignal,
  ): Promise<void> => {
    const split = await namespaceHosts(d, cmd);
    if (split.others.length === 0) {
      const rows = runPlumbOp(plumber, op);
      if (header) out.respond({ header, tabular: rows });
      return;
    }
    const outcomes = await onNamespaceHosts(
      d,
      split,
      async () => runPlumbOp(plumber, op),
      async (n, others) =>
        sendOutcomes(await n.send(others, PlumbCall, op, meshSendOptions(d, signal))),
    );
    out.emit(
      byHost(outcomes).map((o) => ({
        host: o.host,
        response: '',
        header: o.ok ? header : null,
        tabular: o.ok && header ? o.value : null,
        error: o.ok ? '' : o.error,
      })),
    );
  };

  d.cli.register({
    helpShort: 'plumb I/O between minimega, VMs, and external programs',
    helpLong: `Create pipelines composed of named pipes and external programs. Pipelines pass
data on standard I/O, with messages split on newlines. To pipeline named pipe
"foo" through "sed" and into another pipe "bar":

	plumb foo "sed -u s/foo/moo/" bar

A stage whose first word is a program in $PATH runs that program; any other
stage is a named pipe of the namespace (<namespace>//<pipe> names a pipe of
another one). Pipelines compose into trees:

	plumb a b
	plumb a c

With no arguments, lists the namespace's pipelines on each of its hosts. A
pipeline runs on the node it is typed on; it ends when one of its programs
exits or one of its pipes is deleted.`,
    patterns: ['plumb', 'plumb <src> <dst>...'],
    async call(cmd, out, env) {
      const ns = nsOf(cmd);
      const src = cmd.stringArgs.src;
      if (src === undefined)
        return across(cmd, out, { op: 'pipelines', namespace: ns }, ['pipeline'], env.signal);
      const stages = [src, ...(cmd.listArgs.dst ?? [])].map((s) => qualifiedStage(ns, s));
      plumber.plumb(stages);
    },
  });

  d.cli.register({
    helpShort: 'reset plumber state',
    helpLong: `Stop the given pipeline (its stages as given to plumb), or every pipeline of
the namespace, on each of its hosts.`,
    patterns: ['clear plumb [pipeline]...'],
    async call(cmd, out, env) {
      const ns = nsOf(cmd);
      const stages = cmd.listArgs.pipeline;
      const op: PlumbOp =
        stages && stages.length > 0
          ? {
              op: 'clear-pipelines',
              namespace: ns,
              production: stages.map((s) => qualifiedStage(ns, s)),
            }
          : { op: 'clear-pipelines', namespace: ns };
      await across(cmd, out, op, null, env.signal);
    },
  });

  d.cli.register({
    helpShort: 'write to and modify named pipes',
    helpLong: `Interact with named pipes. To write to a pipe:

	pipe foo Hello pipes!

Messages written to a pipe are delivered by its mode: "all" copies them to
every reader (on every node of the mesh), "round-robin" to one of this node's
readers in turn, "random" to a random one. A pipe may have a "via", a program
every message passes through, once per reader, before delivery:

	pipe foo via normal -stddev 5.0

"pipe foo log true" logs every message of the pipe. With no arguments, lists
the namespace's pipes on each of its hosts. Pipes in other namespaces are
named <namespace>//<pipe>.`,
    patterns: [
      'pipe',
      'pipe <pipe> <mode,> <all,round-robin,random>',
      'pipe <pipe> <log,> <true,false>',
      'pipe <pipe> <data>',
      'pipe <pipe> <via,> <command>...',
    ],
    async call(cmd, out, env) {
      const b = cmd.boolArgs;
      const name = cmd.stringArgs.pipe;
      if (name === undefined)
        return across(cmd, out, { op: 'pipes', namespace: nsOf(cmd) }, PIPE_HEADER, env.signal);
      const pipe = qualifiedPipe(nsOf(cmd), name);
      if (b.mode) {
        const mode = MODES.find((m) => b[m]) ?? 'all';
        return across(cmd, out, { op: 'mode', pipe, mode }, null, env.signal);
      }
      if (b.log) return across(cmd, out, { op: 'log', pipe, on: !!b.true }, null, env.signal);
      if (b.via) plumber.setVia(pipe, cmd.listArgs.command ?? []);
      else await plumber.write(pipe, cmd.stringArgs.data ?? '');
    },
  });

  d.cli.register({
    helpShort: 'reset pipe state',
    helpLong: `Delete the given pipe (or every pipe of the namespace), or reset one pipe's
mode (to all), log (off) or via (none), on each host of the namespace. A pipe
a pipeline writes to cannot be deleted: clear the pipeline first.`,
    patterns: [
      'clear pipe [pipe]',
      'clear pipe <pipe> <mode,>',
      'clear pipe <pipe> <log,>',
      'clear pipe <pipe> <via,>',
    ],
    async call(cmd, out, env) {
      const b = cmd.boolArgs;
      const ns = nsOf(cmd);
      const name = cmd.stringArgs.pipe;
      const reset = b.mode ? 'mode' : b.log ? 'log' : b.via ? 'via' : undefined;
      const op: PlumbOp =
        name === undefined
          ? { op: 'clear-pipes', namespace: ns }
          : {
              op: 'clear-pipes',
              namespace: ns,
              pipe: qualifiedPipe(ns, name),
              ...(reset ? { reset } : {}),
            };
      await across(cmd, out, op, null, env.signal);
    },
  });
};
