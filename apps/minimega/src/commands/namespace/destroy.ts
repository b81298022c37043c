// Destroying namespaces on this node (namespace.md §3), for `clear
// namespace`, `clear all` and other nodes' typed clears.
import type { CallEnv } from '@mm/cli-grammar';
import { LAUNCH_STATE } from '@mm/namespace';
import type { Daemon } from '../../context.js';

/**
 * Destroys namespaces on this node (namespace.md §3): refuses while any of
 * them has a scheduler running, then per namespace removes its tunnel
 * bridges (`ns del-bridge`) and deletes it (VMs, taps, VLAN aliases go with it).
 */
export async function destroyNamespaces(d: Daemon, names: string[], env: CallEnv): Promise<void> {
  for (const n of names) {
    const st = d.namespaces.get(n)?.slot(LAUNCH_STATE);
    if (st?.stats.some((s) => s.state === 'running'))
      throw new Error('scheduler still running for namespace');
  }
  for (const n of names) {
    for (const { bridge: b } of d.namespaces.get(n)?.tunnels.list() ?? []) {
      const sub = d.cli.compile(`namespace "${n}" ns del-bridge "${b}"`);
      if (!sub) continue;
      for await (const batch of d.cli.process(sub, env)) {
        const err = batch.find((r) => r.error !== '');
        if (err) throw new Error(err.error);
      }
    }
    await d.namespaces.delete(n);
  }
}
