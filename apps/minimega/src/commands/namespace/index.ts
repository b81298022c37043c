// The local `namespace` command and `clear namespace` (namespace.md §2-§3);
// clears reach the mesh peers too (typed for `clear all`: ../namespace/cluster.ts serves it).
import { setNamespace, setRecord } from '@mm/cli-grammar';
import { clearNamespacesOn, DEFAULT_NAMESPACE, validateNamespaceName } from '@mm/namespace';
import type { CommandModule, Daemon } from '../../context.js';
import { errorRow, meshPeers, meshSendOptions } from '../mesh/service.js';
import { destroyNamespaces } from './destroy.js';
import { registerNs } from './ns-cli.js';
import { registerNsSave } from './save-cli.js';

/** The `vlans` column: the networking module's range for the namespace (`MIN-MAX`), '' when none. */
function vlanRange(d: Daemon, ns: string): string {
  const r = d.services.networking?.vlanRange(ns === DEFAULT_NAMESPACE ? '' : ns);
  return r ? `${r.min}-${r.max}` : '';
}

const INVALID = 'invalid name; must only include letters, numbers, hyphens and underscores';

function checkName(name: string): void {
  try {
    validateNamespaceName(name);
  } catch {
    throw new Error(INVALID);
  }
}

export const namespaceModule: CommandModule = (d) => {
  d.cli.register({
    helpShort: 'display or change namespace',
    helpLong: `With no arguments, list the namespaces. With a name, make it the active
namespace (creating it when new). With a name and a command, run the command
in that namespace without changing the active one.`,
    patterns: ['namespace [name]', 'namespace <name> (command)'],
    async call(cmd, out, env) {
      const name = cmd.stringArgs.name;
      if (name === undefined) {
        const rows = d.namespaces
          .names()
          .map((n) => [n, vlanRange(d, n), String(n === d.namespaces.active)]);
        if (!d.namespaces.names().includes(d.namespaces.active)) {
          rows.push([d.namespaces.active, vlanRange(d, d.namespaces.active), 'true']);
        }
        out.respond({ header: ['namespace', 'vlans', 'active'], tabular: rows });
        return;
      }
      checkName(name);
      const sub = cmd.subcommand;
      if (!sub) {
        if (d.namespaces.active === name) d.log.info(`already in namespace: ${name}`);
        await d.namespaces.activate(name);
        return;
      }
      await d.namespaces.getOrCreate(name);
      setNamespace(sub, name);
      setRecord(sub, false);
      for await (const batch of d.cli.process(sub, env)) out.emit(batch);
    },
  });

  d.cli.register({
    helpShort: 'unset or delete namespace',
    helpLong: `With no name, go back to the default namespace. With a name (or all), destroy
it: kill and flush its VMs, remove its taps and VLAN aliases.`,
    patterns: ['clear namespace [name]'],
    async call(cmd, out, env) {
      const name = cmd.stringArgs.name;
      if (name === undefined) {
        await d.namespaces.activate(DEFAULT_NAMESPACE);
        return;
      }
      checkName(name);
      // minimega creates the namespace first, so an unknown name never errors locally
      await d.namespaces.getOrCreate(name);
      await destroyNamespaces(d, name === 'all' ? d.namespaces.names() : [name], env);
      // typed here: tear it down on every other host too (they only destroy
      // their own copies, never send it on); a host that fails is an error row
      const node = d.services.mesh?.node;
      const peers = meshPeers(d);
      if (cmd.source === '' && peers.length > 0 && node) {
        const target = name === 'all' ? 'all' : [name];
        const results = await clearNamespacesOn(
          node,
          peers,
          target,
          meshSendOptions(d, env.signal),
        );
        out.emit(results.flatMap((r) => (r.ok ? [] : [errorRow(r.host, r.error.message)])));
      }
    },
  });

  registerNs(d);
  registerNsSave(d);

  // minimega's `clear all` runs `clear namespace all`: every namespace goes,
  // with its settings (queueing, hosts, ...); the default comes back fresh
  // and, typed, on every mesh peer (they destroy only their own: no loop)
  d.onClearAll('namespace', async (ctx) => {
    await destroyNamespaces(d, d.namespaces.names(), {});
    await d.namespaces.activate(DEFAULT_NAMESPACE);
    const node = d.services.mesh?.node;
    const peers = meshPeers(d);
    if (ctx.source !== '' || !node || peers.length === 0) return;
    const results = await clearNamespacesOn(node, peers, 'all', meshSendOptions(d, ctx.signal));
    const failed = results.flatMap((r) => (r.ok ? [] : [`${r.host}: ${r.error.message}`]));
    if (failed.length > 0) throw new Error(failed.join('\n'));
  });
};
