// The iomeshage command module: serves -filepath to the mesh, registers the
// `file` commands and provides services.files for the argument prefixes.
import { createIomeshage } from '@mm/iomeshage';
import type { CommandModule } from '../../context.js';
import { meshService } from '../mesh/index.js';
import { registerFileCommands } from './commands.js';
import { createFetcher } from './fetcher.js';
import { soloMesh } from './solo-mesh.js';

export const fileModule: CommandModule = async (d) => {
  const node = meshService(d)?.node;
  const headnode = typeof d.flags.headnode === 'string' ? d.flags.headnode : '';
  const io = await createIomeshage({
    mesh: node ?? soloMesh(d.hostname),
    dir: d.flags.filepath,
    ...(headnode && headnode !== d.hostname ? { headnode } : {}),
    log: (msg) => d.log.info(`iomeshage: ${msg}`),
  });
  d.services.files = createFetcher(d, io);
  d.onShutdown('iomeshage', () => io.close());
  registerFileCommands(d, io);
};
