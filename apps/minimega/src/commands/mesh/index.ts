// The meshage command module: starts this daemon's mesh node from the flags
// (-port -context -degree -broadcast -meshkey), serves commands sent by other
// nodes, registers the `mesh` commands, and closes the node on shutdown.
import { isIPv4 } from 'node:net';
import { createMesh, createTcpTransport, type Mesh, readMeshKey } from '@mm/meshage';
import type { CommandModule, Daemon } from '../../context.js';
import { VERSION } from '../../version.js';
import { registerMeshCommands } from './commands.js';
import { serveRemoteCommands } from './remote.js';
import { createMeshService } from './service.js';

export { MeshCommand } from './remote.js';
export { type MeshService, meshService } from './service.js';

/** The original's default broadcast address; ours means "every interface's broadcast address". */
const GO_DEFAULT_BROADCAST = '255.255.255.255';

/** Flag errors are fatal at start-up, as in the original. */
async function meshConfig(d: Daemon): Promise<{ key: Buffer | undefined }> {
  const f = d.flags;
  if (!isIPv4(f.broadcast)) {
    throw new Error(`unable to start meshage: invalid broadcast IP ${f.broadcast} for meshage`);
  }
  try {
    return { key: f.meshkey ? await readMeshKey(f.meshkey) : undefined };
  } catch (e) {
    throw new Error(`unable to start meshage: ${(e as Error).message}`);
  }
}

async function startNode(d: Daemon, key: Buffer | undefined): Promise<Mesh> {
  const f = d.flags;
  const transport = createTcpTransport({
    port: f.port,
    broadcast: f.broadcast === GO_DEFAULT_BROADCAST ? 'auto' : [f.broadcast],
    // the control socket keeps a daemon alive; `minimega -cli` builds one and must exit
    keepAlive: false,
  });
  return createMesh({
    name: d.hostname,
    transport,
    context: f.context,
    degree: f.degree,
    version: VERSION,
    ...(f.meshmaxnodes > 0 ? { maxNodes: f.meshmaxnodes } : {}),
    ...(key ? { key } : {}),
    log: (level, msg) => d.log[level](`meshage: ${msg}`),
  });
}

export const meshModule: CommandModule = async (d) => {
  const { key } = await meshConfig(d);
  let node: Mesh | undefined;
  let error = '';
  try {
    node = await startNode(d, key);
  } catch (e) {
    // The original exits when the port is taken. We keep the daemon up
    // (several daemons on one machine share the default port in tests) and
    // every mesh command says why.
    error = e instanceof Error ? e.message : String(e);
    d.log.error(`unable to start meshage: ${error}`);
  }
  const svc = createMeshService(node, error);
  d.services.mesh = svc;
  if (node) {
    serveRemoteCommands(d, node);
    const n = node;
    d.onShutdown('mesh', () => n.close());
  }
  registerMeshCommands(d, svc);
};
