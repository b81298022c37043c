// The `mesh ...` commands (meshage.md §10, daemon.md §6 "Cluster").
import { writeFile } from 'node:fs/promises';
import { splitList, unsplitList } from '@mm/cli-grammar';
import type { Daemon } from '../../context.js';
import { adjacencyList, goDuration, meshDot, parseGoInt, parseGoUint } from './format.js';
import { cannotRunViaMeshage, SOURCE_MESHAGE } from './remote.js';
import type { MeshService } from './service.js';

export function registerMeshCommands(d: Daemon, svc: MeshService): void {
  const node = () => {
    if (!svc.node) throw new Error(`meshage is not running: ${svc.error}`);
    return svc.node;
  };
  const others = (prefix: string) =>
    (svc.node?.nodes() ?? []).filter((n) => n !== d.hostname && n.startsWith(prefix));

  d.cli.register({
    helpShort: 'view or set the current degree for this mesh node',
    patterns: ['mesh degree [degree]'],
    call(cmd, out) {
      const m = node();
      const arg = cmd.stringArgs.degree;
      if (arg !== undefined && arg !== '') {
        m.degree = parseGoUint(arg, 10);
        out.respond({});
        return;
      }
      out.respond({ response: String(m.degree) });
    },
  });

  d.cli.register({
    helpShort: 'attempt to connect this node to another node',
    helpLong:
      'Dial a node by hostname or address (host or host:port; the port defaults to -port). ' +
      'Context and degree are ignored.',
    patterns: ['mesh dial <hostname>'],
    async call(cmd, out, env) {
      await node().dial(cmd.stringArgs.hostname ?? '', { signal: env.signal });
      out.respond({});
    },
  });

  d.cli.register({
    helpShort: 'output a graphviz formatted dot file',
    helpLong: 'Output a graphviz formatted dot file representing the connected topology.',
    patterns: ['mesh dot <filename>'],
    async call(cmd, out) {
      const m = node();
      await writeFile(cmd.stringArgs.filename ?? '', meshDot(d.hostname, m.adjacency()));
      out.respond({});
    },
  });

  d.cli.register({
    helpShort: 'disconnect from a client',
    patterns: ['mesh hangup <hostname>'],
    call(cmd, out) {
      node().hangup(cmd.stringArgs.hostname ?? '');
      out.respond({});
    },
    suggest: (_raw, _key, prefix) => (svc.node?.peers() ?? []).filter((p) => p.startsWith(prefix)),
  });

  d.cli.register({
    helpShort: 'display the mesh adjacency list',
    helpLong:
      'Without "all" or "peers", displays the mesh adjacency list. If "all" is\n' +
      'specified, the hostnames of all nodes in the list are printed. If "peers" is\n' +
      'specified, the hostnames of all peers are printed (the local node is not\n' +
      'included).',
    patterns: ['mesh list [all,peers]'],
    call(cmd, out) {
      const m = node();
      if (cmd.boolArgs.all || cmd.boolArgs.peers) {
        const keys = m.nodes().filter((n) => cmd.boolArgs.all || n !== d.hostname);
        out.respond({ response: unsplitList(keys), data: keys });
        return;
      }
      out.respond({ response: adjacencyList(m.adjacency()) });
    },
  });

  d.cli.register({
    helpShort: 'display a short status report of the mesh',
    patterns: ['mesh status'],
    call(_cmd, out) {
      const m = node();
      out.respond({
        header: ['size', 'degree', 'peers', 'context', 'port'],
        tabular: [
          [
            String(m.size()),
            String(m.degree),
            String(m.peers().length),
            d.flags.context,
            String(d.flags.port),
          ],
        ],
      });
    },
  });

  d.cli.register({
    helpShort: 'view or set the mesh timeout',
    helpLong:
      'View or set the timeout on sending mesh commands.\n\n' +
      "When a mesh command is issued, if a response isn't sent within mesh timeout\n" +
      'seconds, the hosts that have not answered get a "timed out" error. The node\n' +
      'receiving the command may still complete it.\n\n' +
      'By default, the mesh timeout is 300 (5 minutes); 0 disables it. A host that leaves\n' +
      'the mesh fails its pending commands at once, whatever the timeout.',
    patterns: ['mesh timeout [timeout]'],
    call(cmd, out) {
      const arg = cmd.stringArgs.timeout;
      if (arg !== undefined && arg !== '') {
        const n = parseGoInt(arg);
        if (n < 0) throw new Error(`mesh timeout must not be negative: ${n}`);
        svc.timeoutSeconds = n;
        out.respond({});
        return;
      }
      out.respond({
        response: svc.timeoutSeconds === 0 ? 'unlimited' : goDuration(svc.timeoutSeconds),
      });
    },
  });

  d.cli.register({
    helpShort: 'send a command to one or more connected clients',
    helpLong:
      'Send a command to one or more connected clients. For example, to get the\n' +
      'vm info from nodes kn1 and kn2:\n\n\tmesh send kn[1-2] vm info\n\n' +
      "You can use 'all' to send a command to all connected clients. Every host\n" +
      'named answers: hosts that are unknown, unreachable or that leave the mesh\n' +
      'give an error row.',
    patterns: ['mesh send <hostname or range or all> (command)'],
    async call(cmd, out, env) {
      if (cmd.source === SOURCE_MESHAGE) throw cannotRunViaMeshage(cmd.original);
      const sub = cmd.subcommand;
      if (!sub) throw new Error('mesh send: missing command');
      const m = node();
      let hosts = splitList(cmd.stringArgs.hostname ?? '');
      if (hosts.includes('all')) {
        if (hosts.length > 1) throw new Error('wildcard included amongst list of recipients');
        hosts = m.nodes().filter((n) => n !== d.hostname);
      }
      for (let c: typeof sub | undefined = sub; c; c = c.subcommand) c.source = SOURCE_MESHAGE;
      if (hosts.length === 0) return;
      out.emit(await svc.runOn(hosts, sub, env));
    },
    suggest: (_raw, _key, prefix) => [
      ...others(prefix),
      ...('all'.startsWith(prefix) ? ['all'] : []),
    ],
  });
}
