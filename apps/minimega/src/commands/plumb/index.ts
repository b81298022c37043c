// `plumb`, `pipe`, `clear plumb` and `clear pipe` (minimega's plumber, this
// node): the pipes and pipelines live in @mm/iomeshage's Plumber; this module
// names them per namespace (`<namespace>//<pipe>`, as minimega does) and
// renders them. Pipes of other namespaces are reached by their full name.
// Writes in mode all reach the pipes of the same name on the other mesh
// nodes (remote.ts), as minimega's do.

import type { Command } from '@mm/cli-grammar';
import { createPlumber, type PipeMode, type Plumber, splitQuoted } from '@mm/iomeshage';
import type { CommandModule, Daemon } from '../../context.js';
import { lookPath } from '../local/lookpath.js';
import { meshPeers, meshSendOptions } from '../mesh/service.js';
import { commandNamespace } from '../net/vlans-cli.js';
import { PipeForward, servePipeForward } from './remote.js';

export const PIPE_HEADER = ['name', 'mode', 'readers', 'writers', 'count', 'via', 'previous'];

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
  const unserve = node ? servePipeForward(node, plumber) : undefined;
  d.onShutdown('plumber', () => {
    unserve?.();
    return plumber.close();
  });
  d.onClearAll('plumber', () => {
    plumber.deleteAllPipelines();
    plumber.deleteAllPipes();
  });

  const nsOf = (cmd: Command) => commandNamespace(d, cmd);
  const inNs = (cmd: Command) => {
    const mark = `${nsOf(cmd)}//`;
    return (name: string) => name.includes(mark);
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

With no arguments, lists the namespace's pipelines. A pipeline ends when one
of its programs exits or one of its pipes is deleted.`,
    patterns: ['plumb', 'plumb <src> <dst>...'],
    call(cmd, out) {
      const ns = nsOf(cmd);
      const src = cmd.stringArgs.src;
      if (src === undefined) {
        out.respond({
          header: ['pipeline'],
          tabular: plumber.pipelines(inNs(cmd)).map((p) => [p]),
        });
        return;
      }
      const stages = [src, ...(cmd.listArgs.dst ?? [])].map((s) => qualifiedStage(ns, s));
      plumber.plumb(stages);
    },
  });

  d.cli.register({
    helpShort: 'reset plumber state',
    helpLong: `Stop the given pipeline (its stages as given to plumb), or every pipeline of
the namespace.`,
    patterns: ['clear plumb [pipeline]...'],
    call(cmd) {
      const stages = cmd.listArgs.pipeline;
      if (stages && stages.length > 0)
        plumber.deletePipeline(stages.map((s) => qualifiedStage(nsOf(cmd), s)));
      else plumber.deleteAllPipelines(inNs(cmd));
    },
  });

  d.cli.register({
    helpShort: 'write to and modify named pipes',
    helpLong: `Interact with named pipes. To write to a pipe:

	pipe foo Hello pipes!

Messages written to a pipe are delivered by its mode: "all" copies them to
every reader, "round-robin" to one reader in turn, "random" to a random one.
A pipe may have a "via", a program every message passes through, once per
reader, before delivery:

	pipe foo via normal -stddev 5.0

"pipe foo log true" logs every message of the pipe. With no arguments, lists
the namespace's pipes. Pipes in other namespaces are named
<namespace>//<pipe>.`,
    patterns: [
      'pipe',
      'pipe <pipe> <mode,> <all,round-robin,random>',
      'pipe <pipe> <log,> <true,false>',
      'pipe <pipe> <data>',
      'pipe <pipe> <via,> <command>...',
    ],
    async call(cmd, out) {
      const b = cmd.boolArgs;
      const name = cmd.stringArgs.pipe;
      if (name === undefined) {
        out.respond({
          header: PIPE_HEADER,
          tabular: plumber
            .pipes(inNs(cmd))
            .map((p) => [
              p.name,
              p.mode,
              String(p.readers),
              String(p.writers),
              String(p.count),
              p.via,
              p.previous,
            ]),
        });
        return;
      }
      const pipe = qualifiedPipe(nsOf(cmd), name);
      if (b.mode) plumber.setMode(pipe, MODES.find((m) => b[m]) ?? 'all');
      else if (b.log) plumber.setLog(pipe, !!b.true);
      else if (b.via) plumber.setVia(pipe, cmd.listArgs.command ?? []);
      else await plumber.write(pipe, cmd.stringArgs.data ?? '');
    },
  });

  d.cli.register({
    helpShort: 'reset pipe state',
    helpLong: `Delete the given pipe (or every pipe of the namespace), or reset one pipe's
mode (to all), log (off) or via (none). A pipe a pipeline writes to cannot
be deleted: clear the pipeline first.`,
    patterns: [
      'clear pipe [pipe]',
      'clear pipe <pipe> <mode,>',
      'clear pipe <pipe> <log,>',
      'clear pipe <pipe> <via,>',
    ],
    call(cmd) {
      const b = cmd.boolArgs;
      const name = cmd.stringArgs.pipe;
      if (name === undefined) return plumber.deleteAllPipes(inNs(cmd));
      const pipe = qualifiedPipe(nsOf(cmd), name);
      if (b.mode) plumber.setMode(pipe, 'all');
      else if (b.log) plumber.setLog(pipe, false);
      else if (b.via) plumber.setVia(pipe, []);
      else plumber.deletePipe(pipe);
    },
  });
};
