// New VLAN aliases are announced to every mesh peer (ovs-net.md §5.2 step 5):
// `namespace <ns> vlans add "<alias>" <vlan>`, best effort — a peer's error
// (e.g. `alias already in use`) is only logged.
import { type Command, quoteWord } from '@mm/cli-grammar';
import type { Alias } from '@mm/ovs';
import type { Daemon } from '../../context.js';

/** The part of the mesh module's service this module uses (typed structurally). */
interface MeshLike {
  node?: { nodes(): string[]; name: string } | undefined;
  runOn(hosts: readonly string[], sub: Command): Promise<{ host: string; error: string }[]>;
}

export function announceAlias(d: Daemon, alias: Alias, vlan: number): void {
  const mesh = d.services.mesh as MeshLike | undefined;
  const node = mesh?.node;
  if (!mesh || !node) return;
  const peers = node.nodes().filter((h) => h !== node.name && h !== d.hostname);
  if (peers.length === 0) return;
  let cmd: Command;
  try {
    cmd = d.cli.compileWords([
      'namespace',
      alias.namespace,
      'vlans',
      'add',
      alias.value,
      String(vlan),
    ]);
  } catch (err) {
    d.log.warn(
      `cannot announce VLAN alias ${alias.namespace}//${alias.value}: ${(err as Error).message}`,
    );
    return;
  }
  for (let c: Command | undefined = cmd; c; c = c.subcommand) c.record = false;
  void mesh.runOn(peers, cmd).then(
    (rows) => {
      for (const r of rows) {
        if (r.error) d.log.info(`VLAN alias ${quoteWord(alias.value)} on ${r.host}: ${r.error}`);
      }
    },
    (err: unknown) => d.log.warn(`announcing VLAN alias ${alias.value}: ${(err as Error).message}`),
  );
}
