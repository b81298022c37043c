// Joins the VM host to the mesh once both run: this node's VmHost answers
// other nodes' typed VM calls (launch, list, start...), creating the
// call's namespace here as minimega's remote `namespace X <cmd>` does
// (namespace.md §5.1), destroying namespaces when another node clears them
// (§3), and new namespaces start with every mesh peer (§1).
import { DEFAULT_NAMESPACE, serveNamespaceClear, serveVmHost } from '@mm/namespace';
import type { CommandModule } from '../../context.js';
import { meshPeers } from '../mesh/service.js';
import { serveCaptures } from '../net/capture-remote.js';
import { destroyNamespaces } from './destroy.js';

export const clusterModule: CommandModule = (d) => {
  const node = d.services.mesh?.node;
  const host = d.services.vmHost;
  if (node && host) {
    const stop = serveVmHost(node, host, {
      onNamespace: (ns) => d.namespaces.getOrCreate(ns),
    });
    d.onShutdown('cluster', () => stop());
  }
  if (node) {
    // another node's `clear namespace`/`clear all`: destroyed here only
    const stop = serveNamespaceClear(node, async (target) => {
      const names =
        target === 'all' ? d.namespaces.names() : target.filter((n) => d.namespaces.get(n));
      await destroyNamespaces(d, names, {});
      if (target === 'all') await d.namespaces.activate(DEFAULT_NAMESPACE);
    });
    d.onShutdown('cluster-clear', () => stop());
    // other nodes' `capture` listings, `clear capture` and VM captures
    const captures = d.services.captures;
    const net = d.services.networking;
    if (captures && net) {
      const unserve = serveCaptures(node, captures, net, d.flags.filepath);
      d.onShutdown('cluster-captures', () => unserve());
    }
  }
  d.namespaces.onCreate((ns) => {
    if (ns.name === DEFAULT_NAMESPACE) return;
    const peers = meshPeers(d);
    if (peers.length === 0) return;
    ns.hosts.clear();
    for (const p of peers) ns.hosts.add(p);
  });
};
