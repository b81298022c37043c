// V8 settings for the long-lived daemon: one set while it starts (loading
// every module), another once it serves. An idle daemon should be small
// (issue 13: idle RSS <= 50 MB).
import * as v8 from 'node:v8';

/**
 * The V8 flags set before the daemon's modules load (the flag is read each
 * time V8 decides, so setting it at run time works; a command-line flag is
 * no option for `minimega` or the single executable):
 * - `--semi-space-growth-factor=1`: the young generation keeps its initial
 *   size. By default each scavenge that finds many survivors doubles the
 *   semi-spaces (up to 16 MB each), and the start-up is such a burst: the
 *   space stays grown (~8 MB resident) for the idle daemon's whole life. A
 *   daemon allocates in short bursts (a command, a mesh message), so a small
 *   young generation costs a few more, smaller scavenges under load.
 * - `--no-opt` (until {@link daemonServing}): start-up code runs once, and
 *   optimising what is hot while the modules load (schema and table
 *   builders) only maps ~3.3 MB of TurboFan's own machine code into the
 *   process, and takes ~1.4 MB of compiler memory and a background thread's
 *   CPU, for nothing.
 * scripts/sea-code-cache.cjs reads this line: V8 takes the executable's code
 * cache of the daemon only when it is made under the same flags.
 */
export const DAEMON_START_FLAGS = '--semi-space-growth-factor=1 --no-opt';

/** Before the daemon's modules load. */
export function enterDaemonStartUp(): void {
  v8.setFlagsFromString(DAEMON_START_FLAGS);
}

/**
 * Once the daemon serves: what runs from now on (commands, mesh traffic) is
 * optimised again. (A garbage collection here was measured too: neither
 * `gc()` nor the compacting one `v8.queryObjects` runs frees anything worth
 * it; the latter leaves ~5 MB of its own in malloc's heap.)
 */
export function daemonServing(): void {
  v8.setFlagsFromString('--opt');
}
