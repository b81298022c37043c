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
 * How long the daemon serves before {@link collectStartUpGarbage} runs: what
 * start-up left running (the mesh's listen, leftovers' checks) is done.
 */
export const STARTUP_GC_DELAY_MS = 250;

/**
 * Once the daemon serves: what runs from now on (commands, mesh traffic) is
 * optimised again, and soon after, the start-up's garbage goes (see
 * {@link collectStartUpGarbage}). The timer keeps no process alive.
 */
export function daemonServing(): void {
  v8.setFlagsFromString('--opt');
  setTimeout(() => void collectStartUpGarbage(), STARTUP_GC_DELAY_MS).unref();
}

/** only while {@link collectStartUpGarbage} runs */
const FLUSH_ON = '--stress-flush-code';
/** V8's default */
export const FLUSH_OFF = '--no-stress-flush-code';

/**
 * V8's memory-reducing collection (what its memory reducer runs on an idle
 * heap, but only ~8 s after the start-up's first full collection, and later
 * again if it then sees allocation): several compacting full collections
 * that also release the young generation's second semi-space and free
 * pooled pages (-3.5 MB of resident memory in an idle daemon, ~70 ms of CPU
 * once). During it `--stress-flush-code` drops the bytecode of every
 * function not running (the start-up's run-once code: -0.4 MB); what runs
 * again is compiled again on its next call. Node has no API for it but the
 * inspector's `HeapProfiler.collectGarbage` (V8's low-memory notification); a plain
 * `gc()` (--expose-gc) compacts without releasing (measured), and
 * `v8.queryObjects` leaves ~5 MB of its own in malloc's heap. The inspector
 * module is loaded here, not at start-up (`-e` loads this file too), and
 * not with import(), which the executable's daemon, compiled with
 * vm.compileFunction, cannot call. False if this Node has no inspector.
 */
export async function collectStartUpGarbage(): Promise<boolean> {
  try {
    const { Session } = process.getBuiltinModule('node:inspector');
    const session = new Session();
    session.connect();
    v8.setFlagsFromString(FLUSH_ON);
    try {
      await new Promise<void>((resolve, reject) =>
        session.post('HeapProfiler.collectGarbage', (e) => (e ? reject(e) : resolve())),
      );
    } finally {
      v8.setFlagsFromString(FLUSH_OFF);
      session.disconnect();
    }
    return true;
  } catch {
    return false;
  }
}
