// V8 heap settings for the long-lived daemon, applied before it loads its
// modules. An idle daemon should be small (issue 13: idle RSS <= 50 MB).
import { setFlagsFromString } from 'node:v8';

/**
 * Keeps V8's young generation at its initial size. By default each
 * scavenge that finds many survivors doubles the semi-spaces (up to 16 MB
 * each), and the start-up of the daemon (loading every module) is such a
 * burst: the space stays grown (~8 MB resident) for the idle daemon's whole
 * life. A daemon allocates in short bursts (a command, a mesh message), so a
 * small young generation costs a few more, smaller scavenges under load.
 * The flag is read each time V8 decides to grow, so setting it at run time
 * works (a command-line flag is no option for `minimega` or the single
 * executable).
 * scripts/sea-code-cache.cjs sets the same flags when it makes the
 * executable's code cache of the daemon: V8 takes a cache only when the flags
 * match, so a flag added here goes there too.
 */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}
