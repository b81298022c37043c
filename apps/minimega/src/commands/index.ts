// Every command module of the daemon, in registration order. Each area owns
// its own file(s) under commands/ so areas can be built independently.
import type { CommandModule } from '../context.js';

export const commandModules: CommandModule[] = [];
