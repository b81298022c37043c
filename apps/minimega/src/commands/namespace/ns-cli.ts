// `ns ...` (namespace.md §4): the namespace's hosts, the launch queue, the
// scheduler (dry run, moves, status), load method, `ns run` across hosts,
// and tunnel bridges between the hosts. State lives in @mm/namespace.
import { lookup } from 'node:dns/promises';
import {
  type Command,
  joinWords,
  setNamespace,
  setRecord,
  setSource,
  splitList,
  unsplitList,
} from '@mm/cli-grammar';
import { LAUNCH_STATE, type LoadMethod, type NamespaceInfo } from '@mm/namespace';
import { dumpVmConfig, printNetspec } from '@mm/qemu';
import type { Daemon } from '../../context.js';
import { meshPeers } from '../mesh/service.js';
import { aliasWord } from '../vm/config-cli.js';
import { row } from '../vm/state.js';

/** RFC 822 as Go prints it: `02 Jan 06 15:04 MST` (UTC here). */
function rfc822(ms: number): string {
  if (!ms) return '';
  const d = new Date(ms);
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())} ${mon[d.getUTCMonth()]} ${p(d.getUTCFullYear() % 100)} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())} UTC`;
}

/** Commands `ns run` refuses at any nesting level (namespace.md §4). */
const REFUSED_IN_RUN = [/^read\b/, /^mesh send\b/, /^ns run\b/, /^vm launch\b/];

function refusedSub(cmd: Command): Command | undefined {
  for (let c: Command | undefined = cmd; c; c = c.subcommand) {
    const text = joinWords(c.words);
    if (REFUSED_IN_RUN.some((r) => r.test(text))) return c;
  }
  return undefined;
}

function expandHosts(arg: string): string[] {
  try {
    return splitList(arg);
  } catch (err) {
    throw new Error(`invalid hosts -- ${(err as Error).message}`);
  }
}

async function nsOf(d: Daemon, tag: string): Promise<NamespaceInfo> {
  return d.namespaces.getOrCreate(tag || d.namespaces.active);
}

function launcher(d: Daemon) {
  const l = d.services.launcher;
  if (!l) throw new Error('the VM module is not running');
  return l;
}

function compile(d: Daemon, line: string): Command {
  const c = d.cli.compile(line);
  if (!c) throw new Error(`cannot compile \`${line}\``);
  return c;
}

export function registerNs(d: Daemon): void {
  const reg = (spec: Parameters<Daemon['cli']['register']>[0]) => d.cli.register(spec);

  reg({
    helpShort: 'list the hosts in the namespace',
    helpLong: 'Print the hosts of the namespace as a compressed range (mm[1-3]).',
    patterns: ['ns hosts'],
    async call(cmd, out) {
      const ns = await nsOf(d, cmd.namespace);
      out.respond({ response: unsplitList([...ns.hosts].sort()) });
    },
  });

  reg({
    helpShort: 'add hosts to the namespace',
    helpLong:
      'Add hosts (a list or range, or all for every mesh peer) to the namespace. localhost is this host.',
    patterns: ['ns add-hosts <hostname or range or all>'],
    async call(cmd, out) {
      const ns = await nsOf(d, cmd.namespace);
      const known = new Set(meshPeers(d));
      const add: string[] = [];
      for (const h of expandHosts(cmd.stringArgs.hostname!)) {
        if (h === 'all') {
          add.push(...known);
          break;
        }
        const name = h === 'localhost' ? d.hostname : h;
        if (name !== d.hostname && !known.has(name)) throw new Error(`unknown host: \`${h}\``);
        add.push(name);
      }
      for (const h of add) ns.hosts.add(h);
      out.respond({});
    },
  });

  reg({
    helpShort: 'remove hosts from the namespace',
    helpLong:
      'Remove hosts (a list or range, or all) from the namespace; unknown names are ignored.',
    patterns: ['ns del-hosts <hostname or range or all>'],
    async call(cmd, out) {
      const ns = await nsOf(d, cmd.namespace);
      for (const h of expandHosts(cmd.stringArgs.hostname!)) {
        if (h === 'all') {
          ns.hosts.clear();
          break;
        }
        ns.hosts.delete(h === 'localhost' ? d.hostname : h);
      }
      out.respond({});
    },
  });

  reg({
    helpShort: 'set or print how the scheduler weighs host load',
    helpLong:
      'cpucommit (vCPUs per CPU, the default), memcommit (memory per MB) or netcommit (NICs).',
    patterns: ['ns load [cpucommit,memcommit,netcommit]'],
    async call(cmd, out) {
      const st = (await nsOf(d, cmd.namespace)).slot(LAUNCH_STATE);
      const set = (['cpucommit', 'memcommit', 'netcommit'] as LoadMethod[]).find(
        (k) => cmd.boolArgs[k],
      );
      if (set) st.load = set;
      else out.respond({ response: st.load });
    },
  });

  reg({
    helpShort: 'set or print whether vm launch queues VMs',
    helpLong:
      'With queueing on, "vm launch TYPE NAMES" only queues VMs; "vm launch" (or "ns schedule") places and launches the queue.',
    patterns: ['ns queueing [true,false]'],
    async call(cmd, out) {
      const st = (await nsOf(d, cmd.namespace)).slot(LAUNCH_STATE);
      if (cmd.boolArgs.true || cmd.boolArgs.false) {
        if (st.queue.length > 0) d.log.warn('changing queueing with VMs already queued');
        st.queueing = cmd.boolArgs.true === true;
        return;
      }
      out.respond({ response: String(st.queueing) });
    },
  });

  reg({
    helpShort: 'print the VMs queued for launch',
    helpLong: 'Print every queued batch: count, names, type and the config it launches with.',
    patterns: ['ns queue'],
    async call(cmd, out) {
      const ns = await nsOf(d, cmd.namespace);
      const st = ns.slot(LAUNCH_STATE);
      let text = '';
      for (const q of st.queue) {
        text += `VMs: ${q.names.length}\n`;
        text += `Names: ${unsplitList(q.names.filter((n) => n !== ''))}\n`;
        text += `VM Type: ${q.type}\n\n`;
        text += dumpVmConfig(q.config, (n) => printNetspec(n, aliasWord(d, ns.name, n)));
        text += '\n\n';
      }
      out.respond({ response: text });
    },
  });

  reg({
    helpShort: 'empty the launch queue',
    helpLong: 'Remove every queued VM (a dry-run placement is kept).',
    patterns: ['ns flush'],
    async call(cmd, out) {
      const st = (await nsOf(d, cmd.namespace)).slot(LAUNCH_STATE);
      st.queue = [];
      st.version++;
      out.respond({});
    },
  });

  reg({
    helpShort: 'schedule the queued VMs',
    helpLong: `ns schedule places and launches the queue (as "vm launch" with no arguments).
dry-run computes the placement and keeps it; dump prints it; mv moves VMs in it
to another host; the next "ns schedule" launches it. status lists scheduler runs.`,
    patterns: [
      'ns schedule [dry-run,]',
      'ns schedule dump',
      'ns schedule mv <vm target> <dst>',
      'ns schedule status',
    ],
    async call(cmd, out, env) {
      const ns = await nsOf(d, cmd.namespace);
      const st = ns.slot(LAUNCH_STATE);
      const verb = cmd.words[2];
      const signal = env.signal ? { signal: env.signal } : {};
      const dump = () => {
        const rows: string[][] = [];
        for (const [host, entries] of [...(st.assignment ?? new Map())].sort(([a], [b]) =>
          a < b ? -1 : a > b ? 1 : 0,
        )) {
          for (const e of entries) for (const n of e.names) rows.push([n, host]);
        }
        out.respond({ header: ['vm', 'dst'], tabular: rows });
      };
      if (verb === 'dry-run') {
        await launcher(d).dryRun(ns, signal);
        dump();
      } else if (verb === 'dump') {
        if (!st.assignment) throw new Error('must run dry-run first');
        dump();
      } else if (verb === 'mv') {
        const dst = cmd.stringArgs.dst!;
        launcher(d).move(
          ns,
          expandHosts(cmd.stringArgs.vm!),
          dst === 'localhost' ? d.hostname : dst,
        );
        out.respond({});
      } else if (verb === 'status') {
        out.respond({
          header: ['start', 'end', 'state', 'launched', 'failures', 'total', 'hosts'],
          tabular: st.stats.map((s) => [
            rfc822(s.start),
            s.state === 'running' ? '' : rfc822(s.end),
            s.state,
            String(s.launched),
            String(s.failures),
            String(s.total),
            String(s.hosts),
          ]),
        });
      } else {
        const rows = await launcher(d).schedule(ns, signal);
        out.emit(rows.map((r) => row(r.host, { error: r.error })));
      }
    },
  });

  reg({
    helpShort: 'run a command on all hosts of the namespace',
    helpLong: 'Run a command on every host of the namespace and print every answer.',
    patterns: ['ns run (command)'],
    async call(cmd, out, env) {
      if (cmd.source === 'meshage') throw new Error(`cannot run \`${cmd.original}\` via meshage`);
      const sub = cmd.subcommand;
      if (!sub) throw new Error('ns run: missing command');
      const bad = refusedSub(sub);
      if (bad) throw new Error(`cannot run \`${joinWords(bad.words)}\` using \`ns run\``);
      const ns = await nsOf(d, cmd.namespace);
      setNamespace(sub, ns.name);
      setRecord(sub, false);
      const remote = [...ns.hosts].filter((h) => h !== d.hostname).sort();
      const batch = [];
      if (ns.hosts.has(d.hostname)) {
        setSource(sub, ns.name);
        for await (const b of d.cli.process(sub, env)) batch.push(...b);
      }
      if (remote.length > 0) {
        const mesh = d.services.mesh;
        if (!mesh) throw new Error('meshage is not running');
        batch.push(...(await mesh.runOn(remote, sub, env)));
      }
      out.emit(batch);
    },
  });

  reg({
    helpShort: 'create a tunnelled bridge across the namespace hosts',
    helpLong:
      'Make bridge B on every host of the namespace and join the hosts with GRE (default) or VXLAN tunnels, RSTP on.',
    patterns: ['ns bridge <bridge> [vxlan,gre]'],
    async call(cmd, out, env) {
      const ns = await nsOf(d, cmd.namespace);
      const bridge = cmd.stringArgs.bridge!;
      if (bridge === '') throw new Error('bridge name must not be empty string');
      const hosts = [...ns.hosts].sort();
      if (hosts.length <= 1) return;
      const kind = cmd.boolArgs.vxlan ? 'vxlan' : 'gre';
      const ips = new Map<string, string>();
      for (const h of hosts) {
        let addrs: { address: string }[];
        try {
          addrs = await lookup(h, { all: true, family: 4 });
        } catch (err) {
          throw new Error(`failure looking up ${h}: ${(err as Error).message}`);
        }
        const ip = addrs.find((a) => !a.address.startsWith('127.'))?.address;
        if (!ip) throw new Error('host has no non-loopback IP');
        ips.set(h, ip);
      }
      const key = Math.floor(Math.random() * 2 ** 32);
      for (const h of hosts) {
        const lines = [
          `bridge config "${bridge}" rstp_enable=true`,
          ...hosts
            .filter((h2) => h2 !== h)
            .map((h2) => `bridge tunnel ${kind} "${bridge}" ${ips.get(h2)} ${key}`),
        ];
        for (const line of lines) {
          const sub = compile(d, line);
          let rows: { error: string }[] = [];
          if (h === d.hostname) {
            for await (const b of d.cli.process(sub, env)) rows.push(...b);
          } else {
            const mesh = d.services.mesh;
            if (!mesh) throw new Error('meshage is not running');
            rows = await mesh.runOn([h], sub, env);
          }
          const err = rows.find((r) => r.error !== '');
          if (err) throw new Error(err.error);
        }
      }
      d.namespaces.get(ns.name)?.tunnels.add(bridge, key);
      out.respond({});
    },
  });

  reg({
    helpShort: 'destroy a bridge made by ns bridge',
    helpLong: 'Destroy the bridge on every host of the namespace.',
    patterns: ['ns del-bridge <bridge>'],
    async call(cmd, out, env) {
      const ns = await nsOf(d, cmd.namespace);
      const bridge = cmd.stringArgs.bridge!;
      if (bridge === '') throw new Error('bridge name must not be empty string');
      ns.tunnels.get(bridge); // refuses a bridge this namespace did not make
      const sub = () => compile(d, `bridge destroy "${bridge}"`);
      const rows: { error: string }[] = [];
      if (ns.hosts.has(d.hostname))
        for await (const b of d.cli.process(sub(), env)) rows.push(...b);
      const remote = [...ns.hosts].filter((h) => h !== d.hostname);
      if (remote.length > 0 && d.services.mesh)
        rows.push(...(await d.services.mesh.runOn(remote, sub(), env)));
      const err = rows.find((r) => r.error !== '');
      if (err) throw new Error(err.error);
      ns.tunnels.remove(bridge);
      out.respond({});
    },
  });
}
