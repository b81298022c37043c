// Local commands get the daemon core (they run scripts, clear-all hooks...).
import type { DaemonCore } from '../../daemon/core.js';

export type LocalModule = (core: DaemonCore) => void | Promise<void>;
