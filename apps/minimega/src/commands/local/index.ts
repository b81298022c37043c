// The daemon's own commands (daemon.md §6, "Misc", "Logging", `host`).
import { argsCommand } from './args.js';
import { backgroundCommands } from './background.js';
import { checkCommand } from './check.js';
import { clearAllCommand } from './clear-all.js';
import { debugCommand } from './debug.js';
import { echoCommand } from './echo.js';
import { helpCommand } from './help.js';
import { historyCommands } from './history.js';
import { hostCommand } from './host.js';
import { logCommands } from './log.js';
import { quitCommand } from './quit.js';
import { readCommand } from './read.js';
import { shellCommand } from './shell.js';
import type { LocalModule } from './types.js';
import { versionCommand } from './version.js';

export const localModules: LocalModule[] = [
  helpCommand,
  echoCommand,
  historyCommands,
  readCommand,
  shellCommand,
  backgroundCommands,
  quitCommand,
  versionCommand,
  hostCommand,
  logCommands,
  clearAllCommand,
  checkCommand,
  argsCommand,
  debugCommand,
];
