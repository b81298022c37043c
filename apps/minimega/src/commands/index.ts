// Every command module of the daemon, in registration order. Each area owns
// its own file(s) under commands/ so areas can be built independently.
import type { CommandModule } from '../context.js';
import { containerModule } from './container/index.js';
import { deployModule } from './deploy/index.js';
import { diskModule } from './disk/index.js';
import { fileModule } from './file/index.js';
import { meshModule } from './mesh/index.js';
import { clusterModule } from './namespace/cluster.js';
import { namespaceModule } from './namespace/index.js';
import { netModule } from './net/index.js';
import { nukeModule } from './nuke/index.js';
import { plumbModule } from './plumb/index.js';
import { vmModule } from './vm/index.js';
import { vncModule } from './vnc/index.js';

export const commandModules: CommandModule[] = [
  netModule,
  vmModule,
  containerModule,
  namespaceModule,
  meshModule,
  clusterModule,
  vncModule,
  nukeModule,
  fileModule,
  diskModule,
  deployModule,
  plumbModule,
];
