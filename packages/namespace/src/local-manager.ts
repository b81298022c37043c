import { nameProblem } from '@mm/cli-grammar';
import { InvalidNamespaceNameError, UnknownNamespaceError } from './errors.js';
import {
  DEFAULT_NAMESPACE,
  type NamespaceInfo,
  type NamespaceListener,
  type NamespaceManager,
} from './manager.js';
import { Namespace } from './namespace.js';

export interface LocalNamespaceManagerOptions {
  /** the local host's mesh name */
  hostname: string;
  /** hosts a new non-default namespace starts with (mesh peers); defaults to none */
  initialHosts?: () => string[];
}

/**
 * The shared rule for namespace names (@mm/cli-grammar, a leaf this package
 * may import): letters, digits, `-`, `_`, `.`, not `.`/`..`, ≤ 253 bytes.
 */
export function validateNamespaceName(name: string): void {
  const why = nameProblem('namespace', name);
  if (why !== undefined) throw new InvalidNamespaceNameError(name, why);
}

/** The process-wide namespace registry of one node (namespace.md §1). */
export function createNamespaceManager(opts: LocalNamespaceManagerOptions): NamespaceManager {
  const byName = new Map<string, Namespace>();
  const created: NamespaceListener[] = [];
  const deleted: NamespaceListener[] = [];
  let active = DEFAULT_NAMESPACE;

  async function getOrCreate(name: string): Promise<NamespaceInfo> {
    validateNamespaceName(name);
    let ns = byName.get(name);
    if (ns) return ns;
    // The default namespace holds only this node; others start with the
    // current peers, or this node when there are none (namespace.md §1).
    const peers = name === DEFAULT_NAMESPACE ? [] : (opts.initialHosts?.() ?? []);
    ns = new Namespace(name, peers.length > 0 ? peers : [opts.hostname]);
    byName.set(name, ns);
    for (const fn of created) await fn(ns);
    return ns;
  }

  return {
    get active() {
      return active;
    },
    names: () => [...byName.keys()].sort(),
    get: (name) => byName.get(name),
    getOrCreate,
    async activate(name) {
      const ns = await getOrCreate(name);
      active = name;
      return ns;
    },
    async delete(name) {
      const ns = byName.get(name);
      if (!ns) throw new UnknownNamespaceError(name);
      // listeners tear down in registration order; a failure leaves the namespace registered
      for (const fn of deleted) await fn(ns);
      await ns.vnc.stopAll();
      byName.delete(name);
      if (active === name) active = DEFAULT_NAMESPACE;
    },
    onCreate: (fn) => void created.push(fn),
    onDelete: (fn) => void deleted.push(fn),
  };
}
